//! A scan's largest tables on disk, for corpora whose fingerprints do not fit a memory budget.
//!
//! Shingle sets, band keys and paragraph records are append-only files of little-endian numbers
//! ([`NumberFile`]); shingle sets are read back a chosen few at a time ([`NumberFile::load_sets`]),
//! band keys a band at a time, paragraph records front to back. Candidate pairs and exact hashes
//! go to sorted runs ([`SortedRuns`]) merged back in order without repeats ([`MergedRuns`]). Every file lives in one
//! temporary folder ([`SpillFolder`]) that is removed when it is dropped: on success, on error and
//! on unwinding.
//!
//! ```
//! use paradup_core::set_ends::SetEnds;
//! use paradup_core::spill::{NumberFile, PairRuns, SpillFolder};
//!
//! let folder = SpillFolder::create_in(&std::env::temp_dir())?;
//! // Candidate pairs in runs of at most two, merged back sorted, each once.
//! let mut runs = PairRuns::new("pairs", 2);
//! runs.push(&folder, [(3, 4), (1, 2), (3, 4), (0, 9)])?;
//! let mut merged = runs.into_merged(&folder)?;
//! assert_eq!(merged.next_chunk(10)?, vec![(0, 9), (1, 2), (3, 4)]);
//! // Shingle sets end to end, read back by number.
//! let mut sets = NumberFile::<u32>::create(&folder, "sets")?;
//! sets.append(&[10, 20, 30])?;
//! sets.append(&[7, 8])?;
//! let mut ends = SetEnds::starting_at(0);
//! ends.push(3);
//! ends.push(5);
//! assert_eq!(sets.load_sets(&[1], &ends)?.get(1), Some(&[7u32, 8][..]));
//! # Ok::<(), paradup_core::spill::SpillError>(())
//! ```

use crate::set_ends::SetEnds;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What went wrong with the spill folder: the folder, what was being done, and the system's
/// error. A full disk says so in words.
#[derive(Debug)]
pub struct SpillError {
    /// The spill folder (or, when it could not be made, the folder it was to be made in).
    pub folder: PathBuf,
    /// What was being done, as a verb phrase ("write band keys").
    pub action: &'static str,
    /// The system's error.
    pub source: io::Error,
}

impl SpillError {
    /// Whether the disk (or a quota) is full.
    pub fn is_disk_full(&self) -> bool {
        self.source.kind() == io::ErrorKind::StorageFull || self.source.raw_os_error() == Some(28)
    }
}

impl fmt::Display for SpillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_disk_full() {
            write!(
                f,
                "no space left in {} to {} (the scan's tables go there past --memory): free \
                 space there or name another folder with --tmp-dir",
                self.folder.display(),
                self.action
            )
        } else {
            write!(
                f,
                "cannot {} in {}: {}",
                self.action,
                self.folder.display(),
                self.source
            )
        }
    }
}

/// For writers of outputs that read spilled tables: the error keeps its kind and its words.
impl From<SpillError> for io::Error {
    fn from(error: SpillError) -> io::Error {
        io::Error::new(error.source.kind(), error.to_string())
    }
}

impl std::error::Error for SpillError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A temporary folder for one scan's spill files, removed with everything in it when dropped.
#[derive(Debug)]
pub struct SpillFolder {
    dir: tempfile::TempDir,
}

impl SpillFolder {
    /// How the names of this process's spill folders begin: `paradup-spill-PID-`. A handler of
    /// Ctrl-C can find them by it, even one made an instant before the signal came.
    pub fn name_prefix() -> String {
        format!("paradup-spill-{}-", std::process::id())
    }

    /// A new folder named `paradup-spill-PID-*` inside `parent`.
    pub fn create_in(parent: &Path) -> Result<SpillFolder, SpillError> {
        tempfile::Builder::new()
            .prefix(&Self::name_prefix())
            .tempdir_in(parent)
            .map(|dir| SpillFolder { dir })
            .map_err(|source| SpillError {
                folder: parent.to_path_buf(),
                action: "make a spill folder",
                source,
            })
    }

    /// Where the folder is.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn error(&self, action: &'static str) -> impl Fn(io::Error) -> SpillError + '_ {
        move |source| SpillError {
            folder: self.path().to_path_buf(),
            action,
            source,
        }
    }

    /// A new empty file of the folder, open for writing and reading.
    fn create_file(&self, name: &str) -> Result<File, SpillError> {
        File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(self.path().join(name))
            .map_err(self.error("create a file"))
    }
}

/// Reads `buffer.len()` bytes at `offset` of `file` without moving a shared cursor.
fn read_exact_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buffer, offset)
    }
    #[cfg(not(unix))]
    {
        let mut file = file;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buffer)
    }
}

/// Bytes of a number kept in a [`NumberFile`].
pub trait Stored: Copy + Default {
    /// Bytes a number takes.
    const BYTES: usize;
    /// Appends the number's little-endian bytes.
    fn put(self, out: &mut Vec<u8>);
    /// The number from its little-endian bytes (`BYTES` of them).
    fn get(bytes: &[u8]) -> Self;
}

/// [`Stored`] for an unsigned integer type, by its little-endian bytes.
macro_rules! stored_as_le_bytes {
    ($($number:ty),*) => {$(
        impl Stored for $number {
            const BYTES: usize = std::mem::size_of::<$number>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                let mut array = [0u8; std::mem::size_of::<$number>()];
                array.copy_from_slice(&bytes[..Self::BYTES]);
                <$number>::from_le_bytes(array)
            }
        }
    )*};
}

stored_as_le_bytes!(u32, u64);

/// Bytes buffered before a [`NumberFile`] writes.
const WRITE_BUFFER: usize = 1 << 20;
/// Numbers decoded at a time when a file is read front to back.
const READ_BLOCK: usize = 1 << 16;
/// A gap between two wanted sets, in numbers, that is read through rather than sought over.
const READ_THROUGH_GAP: usize = 16 << 10;
/// The most numbers one read of [`NumberFile::load_sets`] takes.
const READ_WINDOW: usize = 1 << 20;

/// An append-only file of numbers of one type.
#[derive(Debug)]
pub struct NumberFile<T: Stored> {
    writer: BufWriter<File>,
    folder: PathBuf,
    name: String,
    len: u64,
    encoded: Vec<u8>,
    _numbers: std::marker::PhantomData<T>,
}

impl<T: Stored> NumberFile<T> {
    /// A new file called `name` in `folder`.
    pub fn create(folder: &SpillFolder, name: &str) -> Result<Self, SpillError> {
        let file = folder.create_file(name)?;
        Ok(NumberFile {
            writer: BufWriter::with_capacity(WRITE_BUFFER, file),
            folder: folder.path().to_path_buf(),
            name: name.to_owned(),
            len: 0,
            encoded: Vec::new(),
            _numbers: std::marker::PhantomData,
        })
    }

    fn error(&self, action: &'static str) -> impl Fn(io::Error) -> SpillError + '_ {
        move |source| SpillError {
            folder: self.folder.clone(),
            action,
            source,
        }
    }

    /// Numbers written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `numbers`.
    pub fn append(&mut self, numbers: &[T]) -> Result<(), SpillError> {
        self.append_iter(numbers.iter().copied())
    }

    /// Appends the numbers of `numbers`.
    pub fn append_iter(&mut self, numbers: impl IntoIterator<Item = T>) -> Result<(), SpillError> {
        let mut encoded = std::mem::take(&mut self.encoded);
        encoded.clear();
        let mut result = Ok(());
        for number in numbers {
            number.put(&mut encoded);
            self.len += 1;
            if encoded.len() >= WRITE_BUFFER {
                result = self.writer.write_all(&encoded);
                encoded.clear();
                if result.is_err() {
                    break;
                }
            }
        }
        if result.is_ok() {
            result = self.writer.write_all(&encoded);
        }
        self.encoded = encoded;
        result.map_err(self.error("write the scan's tables"))
    }

    /// Deletes the file: its disk space is free for the files that come after it (the folder
    /// would delete it only when it goes).
    pub fn remove(self) -> Result<(), SpillError> {
        let path = self.folder.join(&self.name);
        std::fs::remove_file(&path).map_err(self.error("remove a file"))
    }

    /// Writes what is buffered, so reads see every number.
    fn flush(&mut self) -> Result<(), SpillError> {
        self.writer
            .flush()
            .map_err(self.error("write the scan's tables"))
    }

    /// Numbers `range` (in numbers, not bytes).
    pub fn read_range(&mut self, range: std::ops::Range<u64>) -> Result<Vec<T>, SpillError> {
        self.flush()?;
        let mut bytes = vec![0u8; (range.end - range.start) as usize * T::BYTES];
        read_exact_at(
            self.writer.get_ref(),
            &mut bytes,
            range.start * T::BYTES as u64,
        )
        .map_err(self.error("read the scan's tables back"))?;
        Ok(bytes.chunks_exact(T::BYTES).map(T::get).collect())
    }

    /// Every number, front to back, `READ_BLOCK` at a time, handed to `each` with the position
    /// of its first number.
    pub fn for_each_block(&mut self, mut each: impl FnMut(u64, &[T])) -> Result<(), SpillError> {
        self.flush()?;
        let mut file = self
            .writer
            .get_ref()
            .try_clone()
            .map_err(self.error("read the scan's tables back"))?;
        file.seek(SeekFrom::Start(0))
            .map_err(self.error("read the scan's tables back"))?;
        let mut reader = BufReader::with_capacity(WRITE_BUFFER, file);
        let mut bytes = vec![0u8; READ_BLOCK * T::BYTES];
        let mut numbers: Vec<T> = Vec::with_capacity(READ_BLOCK);
        let mut position = 0u64;
        while position < self.len {
            let count = (self.len - position).min(READ_BLOCK as u64) as usize;
            let bytes = &mut bytes[..count * T::BYTES];
            reader
                .read_exact(bytes)
                .map_err(self.error("read the scan's tables back"))?;
            numbers.clear();
            numbers.extend(bytes.chunks_exact(T::BYTES).map(T::get));
            each(position, &numbers);
            position += count as u64;
        }
        Ok(())
    }
}

impl NumberFile<u32> {
    /// The sets numbered `ids` (ascending, no repeats) of a file of sets laid end to end, set `i`
    /// at `ends.set(i)`. Sets close together are
    /// read in one go; far apart, each its own read.
    pub fn load_sets(&mut self, ids: &[u32], ends: &SetEnds) -> Result<SetArena, SpillError> {
        self.flush()?;
        // Sized exactly up front: grown by doubling, the arena would hold up to twice what its
        // caller gave the room for.
        let total: usize = ids.iter().map(|&id| ends.set(id as usize).len()).sum();
        let mut arena = SetArena {
            ids: ids.to_vec(),
            starts: Vec::with_capacity(ids.len() + 1),
            numbers: Vec::with_capacity(total),
        };
        arena.starts.push(0);
        let mut bytes: Vec<u8> = Vec::new();
        let mut first = 0;
        while first < ids.len() {
            let std::ops::Range {
                start: window_start,
                end: mut window_end,
            } = ends.set(ids[first] as usize);
            let mut last = first + 1;
            while last < ids.len() {
                let std::ops::Range { start, end } = ends.set(ids[last] as usize);
                if start > window_end + READ_THROUGH_GAP || end - window_start > READ_WINDOW {
                    break;
                }
                window_end = end;
                last += 1;
            }
            bytes.resize((window_end - window_start) * 4, 0);
            read_exact_at(self.writer.get_ref(), &mut bytes, window_start as u64 * 4)
                .map_err(self.error("read the scan's tables back"))?;
            for &id in &ids[first..last] {
                let std::ops::Range { start, end } = ends.set(id as usize);
                let slice = &bytes[(start - window_start) * 4..(end - window_start) * 4];
                arena.numbers.extend(slice.chunks_exact(4).map(u32::get));
                arena.starts.push(arena.numbers.len());
            }
            first = last;
        }
        Ok(arena)
    }
}

/// Sets read back from a file, found by their numbers.
#[derive(Clone, Debug, Default)]
pub struct SetArena {
    ids: Vec<u32>,
    starts: Vec<usize>,
    numbers: Vec<u32>,
}

impl SetArena {
    /// Set `id`, when it was loaded.
    pub fn get(&self, id: u32) -> Option<&[u32]> {
        let position = self.ids.binary_search(&id).ok()?;
        Some(&self.numbers[self.starts[position]..self.starts[position + 1]])
    }

    /// Bytes the arena holds.
    pub fn heap_bytes(&self) -> usize {
        self.ids.capacity() * 4 + self.starts.capacity() * 8 + self.numbers.capacity() * 4
    }
}

/// A record of a sorted run: two numbers, ordered as a tuple.
pub trait RunRecord: Ord + Copy {
    /// How each of its two numbers is stored.
    type Number: Stored;
    /// Its two numbers, as written.
    fn to_numbers(self) -> [Self::Number; 2];
    /// The record written as `numbers`.
    fn from_numbers(numbers: [Self::Number; 2]) -> Self;
}

/// A candidate pair of near-tier paragraphs.
impl RunRecord for (u32, u32) {
    type Number = u32;
    fn to_numbers(self) -> [u32; 2] {
        [self.0, self.1]
    }
    fn from_numbers([a, b]: [u32; 2]) -> Self {
        (a, b)
    }
}

/// An exact hash and the number of a paragraph that has it (stored as two 8-byte numbers).
impl RunRecord for (u64, u32) {
    type Number = u64;
    fn to_numbers(self) -> [u64; 2] {
        [self.0, u64::from(self.1)]
    }
    fn from_numbers([hash, id]: [u64; 2]) -> Self {
        // Written from a `u32`: the high half is zero.
        (hash, id as u32)
    }
}

/// Records gathered into sorted runs of at most a given number each, written to the spill
/// folder, and merged back in order without repeats ([`SortedRuns::into_merged`]).
#[derive(Debug)]
pub struct SortedRuns<R: RunRecord> {
    name: &'static str,
    buffer: Vec<R>,
    limit: usize,
    runs: Vec<(NumberFile<R::Number>, u64)>,
}

/// Candidate pairs in sorted runs.
pub type PairRuns = SortedRuns<(u32, u32)>;
/// Candidate pairs merged from their runs.
pub type MergedPairs = MergedRuns<(u32, u32)>;

impl<R: RunRecord> SortedRuns<R> {
    /// Runs of at most `limit` records (at least 1), in files named after `name`.
    pub fn new(name: &'static str, limit: usize) -> Self {
        SortedRuns {
            name,
            buffer: Vec::new(),
            limit: limit.max(1),
            runs: Vec::new(),
        }
    }

    /// Takes records; a full buffer is sorted and written as a run.
    pub fn push(
        &mut self,
        folder: &SpillFolder,
        records: impl IntoIterator<Item = R>,
    ) -> Result<(), SpillError> {
        for record in records {
            self.buffer.push(record);
            if self.buffer.len() >= self.limit {
                self.seal(folder)?;
            }
        }
        Ok(())
    }

    /// Writes what is buffered as a run of its own (nothing when the buffer is empty), and lets
    /// the buffer's memory go.
    pub fn seal(&mut self, folder: &SpillFolder) -> Result<(), SpillError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.buffer.sort_unstable();
        self.buffer.dedup();
        let name = format!("{}-{}", self.name, self.runs.len());
        let mut file = NumberFile::<R::Number>::create(folder, &name)?;
        file.append_iter(self.buffer.iter().flat_map(|&record| record.to_numbers()))?;
        file.flush()?;
        self.runs.push((file, self.buffer.len() as u64));
        self.buffer = Vec::new();
        Ok(())
    }

    /// Room for `additional` more records in the buffer, exactly (not doubled as it grows).
    pub fn reserve_exact(&mut self, additional: usize) {
        self.buffer.reserve_exact(additional);
    }

    /// Runs written so far.
    pub fn run_count(&self) -> usize {
        self.runs.len()
    }

    /// Every record taken, ascending, each once.
    pub fn into_merged(mut self, folder: &SpillFolder) -> Result<MergedRuns<R>, SpillError> {
        self.seal(folder)?;
        let mut readers = Vec::with_capacity(self.runs.len());
        for (file, records) in self.runs {
            let mut handle = file
                .writer
                .get_ref()
                .try_clone()
                .map_err(file.error("read sorted runs back"))?;
            handle
                .seek(SeekFrom::Start(0))
                .map_err(file.error("read sorted runs back"))?;
            readers.push(RunReader {
                reader: BufReader::with_capacity(64 << 10, handle),
                left: records,
                _records: std::marker::PhantomData,
            });
        }
        let mut merged = MergedRuns {
            readers,
            heap: BinaryHeap::new(),
            last: None,
            folder: folder.path().to_path_buf(),
        };
        for run in 0..merged.readers.len() {
            merged.refill(run)?;
        }
        Ok(merged)
    }
}

#[derive(Debug)]
struct RunReader<R> {
    reader: BufReader<File>,
    left: u64,
    _records: std::marker::PhantomData<R>,
}

impl<R: RunRecord> RunReader<R> {
    fn next(&mut self) -> io::Result<Option<R>> {
        if self.left == 0 {
            return Ok(None);
        }
        let width = <R::Number as Stored>::BYTES;
        let mut bytes = [0u8; 16];
        let bytes = &mut bytes[..2 * width];
        self.reader.read_exact(bytes)?;
        self.left -= 1;
        let (a, b) = bytes.split_at(width);
        Ok(Some(R::from_numbers([
            R::Number::get(a),
            R::Number::get(b),
        ])))
    }
}

/// The records of every run, merged: ascending, each once.
#[derive(Debug)]
pub struct MergedRuns<R: RunRecord> {
    readers: Vec<RunReader<R>>,
    heap: BinaryHeap<Reverse<(R, usize)>>,
    last: Option<R>,
    folder: PathBuf,
}

impl<R: RunRecord> MergedRuns<R> {
    fn refill(&mut self, run: usize) -> Result<(), SpillError> {
        let next = self.readers[run].next().map_err(|source| SpillError {
            folder: self.folder.clone(),
            action: "read sorted runs back",
            source,
        })?;
        if let Some(record) = next {
            self.heap.push(Reverse((record, run)));
        }
        Ok(())
    }

    /// The next at most `max` records (none at the end).
    pub fn next_chunk(&mut self, max: usize) -> Result<Vec<R>, SpillError> {
        let mut chunk = Vec::with_capacity(max.min(1 << 20));
        while chunk.len() < max {
            let Some(Reverse((record, run))) = self.heap.pop() else {
                break;
            };
            self.refill(run)?;
            if self.last != Some(record) {
                chunk.push(record);
                self.last = Some(record);
            }
        }
        Ok(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> (tempfile::TempDir, SpillFolder) {
        let parent = tempfile::tempdir().unwrap();
        let folder = SpillFolder::create_in(parent.path()).unwrap();
        (parent, folder)
    }

    #[test]
    fn numbers_come_back_as_written_front_to_back_and_by_range() {
        let (_parent, folder) = folder();
        let mut file = NumberFile::<u64>::create(&folder, "keys").unwrap();
        let numbers: Vec<u64> = (0..200_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        file.append(&numbers[..1000]).unwrap();
        file.append(&numbers[1000..]).unwrap();
        let mut seen = Vec::new();
        file.for_each_block(|at, block| {
            assert_eq!(at as usize, seen.len());
            seen.extend_from_slice(block);
        })
        .unwrap();
        assert_eq!(seen, numbers);
        assert_eq!(
            file.read_range(70_000..70_010).unwrap(),
            numbers[70_000..70_010]
        );
        file.remove().unwrap();
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
    }

    #[test]
    fn sets_load_by_number_near_and_far() {
        let (_parent, folder) = folder();
        let mut file = NumberFile::<u32>::create(&folder, "sets").unwrap();
        let mut ends = SetEnds::starting_at(0);
        let mut sets = Vec::new();
        for i in 0..5_000u32 {
            // Some sets long enough that two wanted ones are a window apart.
            let len = if i % 997 == 0 {
                300_000
            } else {
                (i % 40) as usize
            };
            let set: Vec<u32> = (0..len as u32).map(|j| i * 7 + j).collect();
            file.append(&set).unwrap();
            ends.push(ends.last().unwrap() + set.len());
            sets.push(set);
        }
        let ids: Vec<u32> = vec![0, 1, 2, 996, 997, 998, 2500, 4999];
        let arena = file.load_sets(&ids, &ends).unwrap();
        for &id in &ids {
            assert_eq!(arena.get(id).unwrap(), sets[id as usize].as_slice());
        }
        assert!(arena.get(3).is_none());
    }

    #[test]
    fn runs_merge_sorted_without_repeats() {
        let (_parent, folder) = folder();
        let mut runs = PairRuns::new("pairs", 7);
        let mut all = Vec::new();
        for i in 0..100u32 {
            let pair = ((i * 37) % 23, (i * 11) % 19 + 30);
            all.push(pair);
        }
        runs.push(&folder, all.iter().copied()).unwrap();
        assert!(runs.run_count() > 10);
        let mut merged = runs.into_merged(&folder).unwrap();
        let mut got = Vec::new();
        loop {
            let chunk = merged.next_chunk(5).unwrap();
            if chunk.is_empty() {
                break;
            }
            got.extend(chunk);
        }
        all.sort_unstable();
        all.dedup();
        assert_eq!(got, all);
    }

    #[test]
    fn the_folder_is_removed_when_dropped_and_a_full_disk_is_told_in_words() {
        let parent = tempfile::tempdir().unwrap();
        let folder = SpillFolder::create_in(parent.path()).unwrap();
        let mut file = NumberFile::<u32>::create(&folder, "x").unwrap();
        file.append(&[1, 2, 3]).unwrap();
        drop(file);
        drop(folder);
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
        let full = SpillError {
            folder: PathBuf::from("/tmp/x"),
            action: "write band keys",
            source: io::Error::from_raw_os_error(28),
        };
        assert!(full.is_disk_full());
        assert!(full.to_string().contains("no space left in /tmp/x"));
    }
}
