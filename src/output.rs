//! Writing results: the one place paradup writes an output (the command's `--json`, `--html`,
//! `-o`, `--write-baseline`, and the Python module's `write_*` methods), so that every output means
//! the same thing wherever it is asked for.
//!
//! - `-` is standard output (so is `/dev/stdout`, and any path or link naming descriptor 1);
//! - a symbolic link is followed, and the file at its end is replaced, not the link;
//! - a regular file (existing or new) is written to a temporary file beside it and renamed into
//!   place, so that readers never see a half-written file and a failed run leaves the earlier file;
//! - anything else that exists (a device, a FIFO, a socket, an open descriptor) is written through,
//!   never renamed over.

use rayon::prelude::*;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// An output that could not be written: what was being done, to which path, and why.
#[derive(Debug)]
pub struct OutputError {
    /// What failed, with the path as given: `cannot write out.json`.
    doing: String,
    cause: Box<dyn std::error::Error + Send + Sync>,
}

impl OutputError {
    fn new(doing: String, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        OutputError {
            doing,
            cause: cause.into(),
        }
    }

    /// The error of doing `doing` that failed with `cause`.
    fn io(doing: String) -> impl FnOnce(io::Error) -> OutputError {
        move |cause| OutputError::new(doing, cause)
    }

    /// The whole message, its causes after it: `cannot write out.json: No space left on device`.
    pub fn message(&self) -> String {
        let mut text = self.doing.clone();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self.cause.as_ref());
        while let Some(error) = cause {
            text.push_str(": ");
            text.push_str(&error.to_string());
            cause = error.source();
        }
        text
    }
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.doing)
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.cause.as_ref())
    }
}

/// What outputs come to.
pub type Result<T> = std::result::Result<T, OutputError>;

/// The error of something that is not an I/O failure: `cannot write out: it is a folder`.
fn refused(doing: String, why: String) -> OutputError {
    OutputError::new(doing, why)
}

/// Where an output path leads once links are followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Standard output: `-`, `/dev/stdout`, `/dev/fd/1`, or a link to one of them.
    Stdout,
    /// Something that is not a regular file (a device, a FIFO, a socket, another open
    /// descriptor): opened and written through.
    Through(PathBuf),
    /// A regular file, existing or not, at the end of any links: replaced atomically.
    Replace(PathBuf),
}

/// Symbolic links followed before giving up, as the kernel does.
const MAX_LINKS: usize = 40;

/// The descriptor a path names directly (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`), if any.
/// Such a path is a window on a descriptor of this process: following it as a link would lead to
/// a pipe's pseudo-name or to the file behind the descriptor, and replacing that file would cut it
/// from the descriptor's reader.
fn descriptor(path: &Path) -> Option<u32> {
    let text = path.to_str()?;
    match text {
        "/dev/stdin" => return Some(0),
        "/dev/stdout" => return Some(1),
        "/dev/stderr" => return Some(2),
        _ => {}
    }
    if let Some(n) = text.strip_prefix("/dev/fd/") {
        return n.parse().ok();
    }
    let (process, n) = text.strip_prefix("/proc/")?.split_once("/fd/")?;
    let own =
        ["self", "thread-self"].contains(&process) || process.parse() == Ok(std::process::id());
    own.then(|| n.parse().ok()).flatten()
}

/// Follows `path` (its links, one at a time) to where an output written to it goes.
pub fn destination(path: &Path) -> Result<Destination> {
    if path.as_os_str() == "-" {
        return Ok(Destination::Stdout);
    }
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        if let Some(fd) = descriptor(&current) {
            return Ok(match fd {
                1 => Destination::Stdout,
                _ => Destination::Through(current),
            });
        }
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Destination::Replace(current))
            }
            Err(e) => {
                return Err(OutputError::new(
                    format!("cannot write {}", path.display()),
                    e,
                ))
            }
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target = std::fs::read_link(&current).map_err(OutputError::io(format!(
                "cannot follow the link {}",
                current.display()
            )))?;
            current = match current.parent() {
                Some(parent) if target.is_relative() => parent.join(target),
                _ => target,
            };
        } else if kind.is_dir() {
            return Err(refused(
                format!("cannot write {}", path.display()),
                "it is a folder".into(),
            ));
        } else if kind.is_file() {
            return Ok(Destination::Replace(current));
        } else {
            return Ok(Destination::Through(current));
        }
    }
    Err(refused(
        format!("cannot write {}", path.display()),
        "too many levels of symbolic links".into(),
    ))
}

/// The folder a file at `path` is created in.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Checks, before any work is done, that an output can be written at `path`: not a folder, in a
/// folder that exists and that paradup may create files in. Returns where it leads.
pub fn check_writable(path: &Path) -> Result<Destination> {
    let destination = destination(path)?;
    if let Destination::Replace(target) = &destination {
        let folder = folder_of(target);
        match std::fs::metadata(folder) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(refused(
                    format!("cannot write {}", path.display()),
                    format!("{} is not a folder", folder.display()),
                ))
            }
            Err(e) => {
                return Err(refused(
                    format!("cannot write {}", path.display()),
                    format!("folder {}: {e}", folder.display()),
                ))
            }
        }
        temp_file_in(folder)
            .map_err(|e| OutputError::new(format!("cannot write {}", path.display()), e))?;
    }
    Ok(destination)
}

/// Checks, before any work is done, that an output folder can be made at `path` (or is one):
/// the nearest folder that exists on the way must let paradup create files.
pub fn check_folder_writable(path: &Path) -> Result<()> {
    let mut existing = path;
    loop {
        match std::fs::metadata(existing) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return Err(refused(
                    format!("cannot write into {}", path.display()),
                    format!("{} is not a folder", existing.display()),
                ))
            }
            Err(_) => match existing.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
                _ => {
                    existing = Path::new(".");
                    break;
                }
            },
        }
    }
    temp_file_in(existing)
        .map_err(|e| OutputError::new(format!("cannot write into {}", path.display()), e))?;
    Ok(())
}

/// Folders this process has made temporary files in, for [`remove_temporary_files`].
static TEMPORARY_FOLDERS: std::sync::Mutex<BTreeSet<PathBuf>> =
    std::sync::Mutex::new(BTreeSet::new());

/// How this process names its temporary files (outputs being written, copies of standard input
/// and pipes): `.paradup-PID-`, so that a signal handler can find them.
pub fn temporary_prefix() -> String {
    format!(".paradup-{}-", std::process::id())
}

/// A temporary file in `folder` named with [`temporary_prefix`], its folder noted for
/// [`remove_temporary_files`]; with `shared`, readable by others as an ordinary new file would be.
pub fn temporary_file_in(folder: &Path, shared: bool) -> io::Result<tempfile::NamedTempFile> {
    let prefix = temporary_prefix();
    if let Ok(mut folders) = TEMPORARY_FOLDERS.lock() {
        folders.insert(folder.to_path_buf());
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    #[cfg(unix)]
    if shared {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = shared;
    builder.tempfile_in(folder)
}

/// Removes every temporary file this process made and still holds (see [`temporary_prefix`]):
/// for a handler of Ctrl-C, SIGTERM or SIGHUP, which ends the process without running the
/// destructors that would remove them. Quietly does what it can.
pub fn remove_temporary_files() {
    let prefix = temporary_prefix();
    let Ok(folders) = TEMPORARY_FOLDERS.lock() else {
        return;
    };
    for folder in folders.iter() {
        let Ok(entries) = std::fs::read_dir(folder) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// A temporary file in `folder`, readable by others as an ordinary new file would be: reports are
/// meant to be shared, and a temporary file's private mode would otherwise carry over.
fn temp_file_in(folder: &Path) -> Result<tempfile::NamedTempFile> {
    temporary_file_in(folder, true).map_err(OutputError::io(format!(
        "cannot create a temporary file in {}",
        folder.display()
    )))
}

/// Bytes buffered before an output is written.
const BUFFER_BYTES: usize = 1 << 20;

/// An output being written; see the module documentation for where the bytes go. Finish it with
/// [`Output::commit`] (or [`Output::finish_later`]); dropped unfinished, a replacement leaves the
/// earlier file as it was.
pub struct Output {
    /// The path as given, for messages.
    shown: PathBuf,
    sink: Sink,
}

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    Through(BufWriter<File>),
    Replace {
        file: BufWriter<EarlyWriteback>,
        temp: tempfile::TempPath,
        target: PathBuf,
    },
}

/// Bytes written to a replacement between two hand-overs of its pages to the disk.
const WRITEBACK_STEP: u64 = 8 << 20;

/// A replacement file whose bytes go to the disk as they are written rather than all at its
/// sync: on Linux, every [`WRITEBACK_STEP`] bytes written start their write-back
/// (`sync_file_range`, without waiting for it), so that the sync before the rename, still taken,
/// waits for the last few megabytes instead of the whole file (a 53 MB report's sync took about
/// as long as rendering it). Elsewhere it is the file alone.
struct EarlyWriteback {
    file: File,
    written: u64,
    handed_over: u64,
}

impl EarlyWriteback {
    fn new(file: File) -> Self {
        EarlyWriteback {
            file,
            written: 0,
            handed_over: 0,
        }
    }

    /// Starts the write-back of what was written since the last call. A hint only: the sync
    /// that follows reports any failure.
    fn hand_over(&mut self) {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            use std::os::fd::AsRawFd;
            let (Ok(start), Ok(length)) = (
                i64::try_from(self.handed_over),
                i64::try_from(self.written - self.handed_over),
            ) else {
                return;
            };
            // SAFETY: sync_file_range reads no memory of ours; it is given a descriptor this
            // value owns and a range of the file, and only starts the write-back of its pages.
            unsafe {
                libc::sync_file_range(
                    self.file.as_raw_fd(),
                    start,
                    length,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
        self.handed_over = self.written;
    }
}

impl Write for EarlyWriteback {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.file.write(buf)?;
        self.written += written as u64;
        if self.written - self.handed_over >= WRITEBACK_STEP {
            self.hand_over();
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Output {
    /// Opens an output at `path` (`-` for standard output).
    pub fn create(path: &Path) -> Result<Output> {
        let sink = match destination(path)? {
            Destination::Stdout => {
                Sink::Stdout(BufWriter::with_capacity(BUFFER_BYTES, io::stdout()))
            }
            Destination::Through(target) => {
                // Appended to: a descriptor that a shell opened on a file (`2>>log`) keeps what
                // it holds; devices and FIFOs have no end to append at.
                let file = File::options()
                    .append(true)
                    .open(&target)
                    .map_err(OutputError::io(format!("cannot write {}", path.display())))?;
                Sink::Through(BufWriter::with_capacity(BUFFER_BYTES, file))
            }
            Destination::Replace(target) => {
                let temp = temp_file_in(folder_of(&target))?;
                // A replaced file keeps its permissions.
                if let Ok(meta) = std::fs::metadata(&target) {
                    let _ = temp.as_file().set_permissions(meta.permissions());
                }
                let (file, temp) = temp.into_parts();
                Sink::Replace {
                    file: BufWriter::with_capacity(BUFFER_BYTES, EarlyWriteback::new(file)),
                    temp,
                    target,
                }
            }
        };
        Ok(Output {
            shown: path.to_path_buf(),
            sink,
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match &mut self.sink {
            Sink::Stdout(w) => w,
            Sink::Through(w) => w,
            Sink::Replace { file, .. } => file,
        }
    }

    /// Writes out what is buffered; a replacement is left as a temporary file (synced when
    /// `sync`) for [`Output::commit`] or [`commit_all`] to move into place.
    fn finish(self, sync: bool) -> Result<Pending> {
        let shown = self.shown;
        let failed =
            |e: io::Error| OutputError::new(format!("cannot write {}", shown.display()), e);
        match self.sink {
            Sink::Stdout(mut w) => {
                w.flush().map_err(failed)?;
                Ok(Pending {
                    replace: None,
                    remove: None,
                })
            }
            Sink::Through(w) => {
                w.into_inner().map_err(|e| failed(e.into_error()))?;
                Ok(Pending {
                    replace: None,
                    remove: None,
                })
            }
            Sink::Replace { file, temp, target } => {
                let file = file.into_inner().map_err(|e| failed(e.into_error()))?.file;
                if sync {
                    file.sync_all().map_err(failed)?;
                }
                Ok(Pending {
                    replace: Some((temp, target, shown)),
                    remove: None,
                })
            }
        }
    }

    /// Finishes the output: a replacement is synced to disk and renamed into place.
    pub fn commit(self) -> Result<()> {
        self.finish(true)?.rename()
    }

    /// Finishes writing without syncing: a replacement stays a temporary file until
    /// [`commit_all`] syncs and renames a whole set of them at once.
    pub fn finish_later(self) -> Result<Pending> {
        self.finish(false)
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}

/// An output written but not yet in place (a temporary file beside its target), or one already
/// written through. Dropped, the temporary file is removed.
pub struct Pending {
    /// The temporary file, its target, and the path as given.
    replace: Option<(tempfile::TempPath, PathBuf, PathBuf)>,
    /// A file to remove, in step with the replacements.
    remove: Option<PathBuf>,
}

impl Pending {
    /// An earlier output at `path` that the run leaves out: removed by [`commit_all`] once every
    /// other output is in place (a failed run leaves it).
    pub fn removal(path: &Path) -> Pending {
        Pending {
            replace: None,
            remove: (path.as_os_str() != "-").then(|| path.to_path_buf()),
        }
    }

    fn rename(self) -> Result<()> {
        if let Some((temp, target, shown)) = self.replace {
            temp.persist(&target).map_err(|e| {
                OutputError::new(format!("cannot replace {}", shown.display()), e.error)
            })?;
        }
        if let Some(path) = self.remove {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(OutputError::new(
                        format!("cannot remove {}", path.display()),
                        e,
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Moves many outputs into place with one guarantee for all: their contents are synced to disk,
/// then each is renamed over its target, then the renames are synced. After a crash each target
/// holds either its earlier content or its complete new one; once this returns, every new content
/// is on disk. On Linux each file system is synced once (`syncfs`) rather than each file: one
/// flush for twenty thousand small files instead of twenty thousand.
pub fn commit_all(pending: Vec<Pending>) -> Result<()> {
    let replaced: Vec<&(tempfile::TempPath, PathBuf, PathBuf)> =
        pending.iter().filter_map(|p| p.replace.as_ref()).collect();
    let mut folders: BTreeSet<PathBuf> = replaced
        .iter()
        .map(|(_, target, _)| folder_of(target).to_path_buf())
        .collect();
    sync_contents(&replaced, &folders)?;
    folders.extend(
        pending
            .iter()
            .filter_map(|p| p.remove.as_deref())
            .map(|path| folder_of(path).to_path_buf())
            .filter(|folder| folder.is_dir()),
    );
    pending.into_par_iter().try_for_each(Pending::rename)?;
    sync_folders(&folders)
}

/// Syncs the written temporary files: one `syncfs` for each file system that holds some.
#[cfg(target_os = "linux")]
fn sync_contents(
    _replaced: &[&(tempfile::TempPath, PathBuf, PathBuf)],
    folders: &BTreeSet<PathBuf>,
) -> Result<()> {
    sync_file_systems(folders)
}

/// Syncs the written temporary files, each on its own (in parallel).
#[cfg(not(target_os = "linux"))]
fn sync_contents(
    replaced: &[&(tempfile::TempPath, PathBuf, PathBuf)],
    _folders: &BTreeSet<PathBuf>,
) -> Result<()> {
    replaced.par_iter().try_for_each(|(temp, _, shown)| {
        File::open(temp)
            .and_then(|file| file.sync_all())
            .map_err(OutputError::io(format!("cannot write {}", shown.display())))
    })
}

/// Calls `syncfs` once for each file system holding one of `folders`.
#[cfg(target_os = "linux")]
fn sync_file_systems(folders: &BTreeSet<PathBuf>) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mut devices = BTreeSet::new();
    for folder in folders {
        let failed = || OutputError::io(format!("cannot sync {}", folder.display()));
        let handle = File::open(folder).map_err(failed())?;
        let device = handle.metadata().map_err(failed())?.dev();
        if devices.insert(device) {
            rustix::fs::syncfs(&handle)
                .map_err(io::Error::from)
                .map_err(failed())?;
        }
    }
    Ok(())
}

/// Syncs the folders that received renames, so that the renames survive a crash.
#[cfg(target_os = "linux")]
fn sync_folders(folders: &BTreeSet<PathBuf>) -> Result<()> {
    sync_file_systems(folders)
}

/// Syncs the folders that received renames (where the system allows opening a folder).
#[cfg(not(target_os = "linux"))]
fn sync_folders(folders: &BTreeSet<PathBuf>) -> Result<()> {
    #[cfg(unix)]
    folders.par_iter().for_each(|folder| {
        let _ = File::open(folder).and_then(|f| f.sync_all());
    });
    #[cfg(not(unix))]
    let _ = folders;
    Ok(())
}

/// Writes `bytes` to the output `path` (see the module documentation).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |out| out.write_all(bytes))
}

/// Like [`write_atomic`], with the content streamed by `write` (a large report need not be held
/// in memory as bytes first).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let mut out = Output::create(path)?;
    write(&mut out).map_err(OutputError::io(format!("cannot write {}", path.display())))?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A replacement larger than several write-back steps holds every byte, in order, once
    /// committed, and the earlier file until then.
    #[test]
    fn a_large_replacement_handed_to_the_disk_as_written_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.json");
        std::fs::write(&path, b"earlier").unwrap();
        let bytes: Vec<u8> = (0..(3 * WRITEBACK_STEP as usize + 12_345))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut out = Output::create(&path).unwrap();
        for piece in bytes.chunks(700_001) {
            out.write_all(piece).unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"earlier");
        out.commit().unwrap();
        assert!(std::fs::read(&path).unwrap() == bytes);
    }

    #[test]
    fn descriptors_are_named_directly() {
        assert_eq!(descriptor(Path::new("/dev/stdout")), Some(1));
        assert_eq!(descriptor(Path::new("/proc/self/fd/1")), Some(1));
        assert_eq!(descriptor(Path::new("/dev/fd/7")), Some(7));
        assert_eq!(descriptor(Path::new("/dev/fdx")), None);
        let own = format!("/proc/{}/fd/2", std::process::id());
        assert_eq!(descriptor(Path::new(&own)), Some(2));
        assert_eq!(descriptor(Path::new("/proc/1/fd/1")), None);
        assert_eq!(descriptor(Path::new("out.json")), None);
    }

    #[test]
    fn dash_is_stdout_and_links_are_followed() {
        assert_eq!(destination(Path::new("-")).unwrap(), Destination::Stdout);
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        assert_eq!(
            destination(&real).unwrap(),
            Destination::Replace(real.clone())
        );
        #[cfg(unix)]
        {
            let link = dir.path().join("link.json");
            std::os::unix::fs::symlink("real.json", &link).unwrap();
            assert_eq!(destination(&link).unwrap(), Destination::Replace(real));
            let out = dir.path().join("out");
            std::os::unix::fs::symlink("/proc/self/fd/1", &out).unwrap();
            assert_eq!(destination(&out).unwrap(), Destination::Stdout);
        }
        assert!(destination(dir.path()).is_err());
    }
}
