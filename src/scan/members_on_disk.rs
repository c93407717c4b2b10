//! Cluster members past a memory budget. A scan that spilled its tables has about as many copies
//! in its clusters as repeated paragraphs, tens of millions in a few GB of web text, and holding
//! them (48 bytes each) would pass its budget. So the clusters are laid out from the paragraph
//! records on disk into range files (copies `r * n .. (r + 1) * n` in cluster order go to file
//! `r`), each range is then read back, measured against its canonical copies and appended to one
//! members file in cluster order, and the outputs read that file a window of clusters at a time.
//! Each cluster keeps only its canonical copy in memory, which its rankings and texts need.

use super::{
    Cluster, ClusterKind, Member, RootVisit, ScanOutcome, Scanner, SetView, Spill, SpillPhase,
    NOT_NEAR, NO_UNIQUE,
};
use crate::cluster::UnionFind;
use paradup_core::spill::{NumberFile, SpillError, SpillFolder};
use rayon::prelude::*;
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Mutex;

/// Numbers a copy takes in the members file: document and paragraph, span start, span end,
/// similarity and containment (as bits), flags.
const MEMBER_NUMBERS: usize = 6;
/// Numbers a copy takes in a range file: its place in cluster order, document and paragraph,
/// span start, span end, distinct paragraph.
const PLACED_NUMBERS: usize = 5;
/// Copies read from a file at a time.
const READ_COPIES: usize = 1 << 16;
/// At most this many range files are written at once (each buffers its writes).
const MAX_RANGES: u64 = 64;

const CONTAINED: u64 = 1;
const HOLDS_CANONICAL: u64 = 2;
const VIA_CHAIN: u64 = 4;

fn encode(member: &Member) -> [u64; MEMBER_NUMBERS] {
    let flags = [
        (member.contained, CONTAINED),
        (member.holds_canonical, HOLDS_CANONICAL),
        (member.via_chain, VIA_CHAIN),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .fold(0, |flags, (_, bit)| flags | bit);
    [
        u64::from(member.doc) << 32 | u64::from(member.paragraph),
        member.span.start as u64,
        member.span.end as u64,
        member.similarity.to_bits(),
        member.containment.to_bits(),
        flags,
    ]
}

fn decode(numbers: &[u64]) -> Member {
    Member {
        doc: (numbers[0] >> 32) as u32,
        paragraph: numbers[0] as u32,
        span: crate::segment::Span {
            start: numbers[1] as usize,
            end: numbers[2] as usize,
        },
        similarity: f64::from_bits(numbers[3]),
        containment: f64::from_bits(numbers[4]),
        contained: numbers[5] & CONTAINED != 0,
        holds_canonical: numbers[5] & HOLDS_CANONICAL != 0,
        via_chain: numbers[5] & VIA_CHAIN != 0,
    }
}

/// The copies of a scan's clusters, in cluster order, in the scan's spill folder (which goes when
/// this does). See [`ScanOutcome::members_on_disk`].
pub struct SpilledMembers {
    file: Mutex<NumberFile<u64>>,
    /// Where each cluster's copies start, counted in copies; one more entry at the end.
    starts: Vec<u64>,
    _folder: SpillFolder,
}

impl std::fmt::Debug for SpilledMembers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpilledMembers")
            .field("clusters", &(self.starts.len() - 1))
            .field("copies", &self.total())
            .finish()
    }
}

impl SpilledMembers {
    /// Copies of cluster `cluster`.
    pub fn copies(&self, cluster: usize) -> usize {
        (self.starts[cluster + 1] - self.starts[cluster]) as usize
    }

    /// Copies of every cluster.
    pub fn total(&self) -> u64 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// The copies of clusters `range`, cluster after cluster.
    pub fn load(&self, range: Range<usize>) -> Result<Vec<Vec<Member>>, SpillError> {
        let (first, end) = (self.starts[range.start], self.starts[range.end]);
        let mut copies = self.read_copies(first..end)?.into_iter();
        Ok(range
            .map(|cluster| copies.by_ref().take(self.copies(cluster)).collect())
            .collect())
    }

    /// The copies `copies` of cluster `cluster` (counted from its canonical copy).
    pub fn load_copies(
        &self,
        cluster: usize,
        copies: Range<usize>,
    ) -> Result<Vec<Member>, SpillError> {
        let first = self.starts[cluster];
        self.read_copies(first + copies.start as u64..first + copies.end as u64)
    }

    /// Copies `range` of the members file, read and decoded [`READ_COPIES`] at a time, so that
    /// the file's numbers for a cluster of a million copies are not held beside its copies.
    fn read_copies(&self, range: Range<u64>) -> Result<Vec<Member>, SpillError> {
        let mut copies = Vec::with_capacity((range.end - range.start) as usize);
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let width = MEMBER_NUMBERS as u64;
        let mut start = range.start;
        while start < range.end {
            let end = range.end.min(start + READ_COPIES as u64);
            let numbers = file.read_range(start * width..end * width)?;
            copies.extend(numbers.chunks_exact(MEMBER_NUMBERS).map(decode));
            start = end;
        }
        Ok(copies)
    }
}

impl ScanOutcome {
    /// The copies `copies` of cluster `cluster` (counted from its canonical copy, and within its
    /// [`ScanOutcome::copies`]): borrowed when held, read from disk when not.
    pub fn cluster_copies(
        &self,
        cluster: usize,
        copies: Range<usize>,
    ) -> Result<Cow<'_, [Member]>, SpillError> {
        match &self.members_on_disk {
            Some(on_disk) => Ok(Cow::Owned(on_disk.load_copies(cluster, copies)?)),
            None => Ok(Cow::Borrowed(&self.clusters[cluster].members[copies])),
        }
    }

    /// Copies of cluster `cluster` (its `members` hold only the canonical one when the members
    /// are on disk).
    pub fn copies(&self, cluster: usize) -> usize {
        match &self.members_on_disk {
            Some(members) => members.copies(cluster),
            None => self.clusters[cluster].members.len(),
        }
    }

    /// Copies of every cluster.
    pub fn total_copies(&self) -> u64 {
        match &self.members_on_disk {
            Some(members) => members.total(),
            None => self.clusters.iter().map(|c| c.members.len() as u64).sum(),
        }
    }

    /// Clusters `range` with every copy: borrowed when held, read from disk when not.
    pub fn clusters_in(&self, range: Range<usize>) -> Result<Cow<'_, [Cluster]>, SpillError> {
        let Some(on_disk) = &self.members_on_disk else {
            return Ok(Cow::Borrowed(&self.clusters[range]));
        };
        let loaded = on_disk.load(range.clone())?;
        Ok(Cow::Owned(
            self.clusters[range]
                .iter()
                .zip(loaded)
                .map(|(head, members)| Cluster {
                    id: head.id,
                    kind: head.kind,
                    documents: head.documents,
                    duplicate_bytes: head.duplicate_bytes,
                    members,
                })
                .collect(),
        ))
    }

    /// Brings the members on disk (if any) into the clusters: afterwards every cluster's
    /// `members` holds every copy, and the spill folder is gone.
    pub fn load_members(&mut self) -> Result<(), SpillError> {
        let Some(on_disk) = self.members_on_disk.take() else {
            return Ok(());
        };
        let mut start = 0;
        while start < self.clusters.len() {
            let end = window_end(&on_disk, start, self.clusters.len());
            for (cluster, members) in self.clusters[start..end]
                .iter_mut()
                .zip(on_disk.load(start..end)?)
            {
                cluster.members = members;
            }
            start = end;
        }
        Ok(())
    }

    /// Hands `each` every cluster's copies in order, as runs of consecutive copies, stopping at
    /// the first error. A held cluster is one run; copies on disk are read a window of clusters at
    /// a time, and a cluster with more copies than a window holds (a forum's greeting line can
    /// have 700,000) comes in runs of that many, so that what is held stays bounded.
    pub fn try_for_each_run<E: From<SpillError>>(
        &self,
        mut each: impl FnMut(CopyRun<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(on_disk) = &self.members_on_disk else {
            return self
                .clusters
                .iter()
                .enumerate()
                .try_for_each(|(index, cluster)| {
                    each(CopyRun {
                        index,
                        cluster,
                        first: 0,
                        copies: &cluster.members,
                    })
                });
        };
        let mut start = 0;
        while start < self.clusters.len() {
            if on_disk.copies(start) > READ_COPIES {
                let (cluster, count) = (&self.clusters[start], on_disk.copies(start));
                let mut first = 0;
                while first < count {
                    let end = count.min(first + READ_COPIES);
                    let copies = on_disk.load_copies(start, first..end)?;
                    each(CopyRun {
                        index: start,
                        cluster,
                        first,
                        copies: &copies,
                    })?;
                    first = end;
                }
                start += 1;
                continue;
            }
            let end = window_end(on_disk, start, self.clusters.len());
            for (offset, loaded) in on_disk.load(start..end)?.iter().enumerate() {
                let index = start + offset;
                each(CopyRun {
                    index,
                    cluster: &self.clusters[index],
                    first: 0,
                    copies: loaded,
                })?;
            }
            start = end;
        }
        Ok(())
    }
}

/// Consecutive copies of one cluster, as [`ScanOutcome::try_for_each_run`] hands them.
#[derive(Clone, Copy, Debug)]
pub struct CopyRun<'a> {
    /// The cluster's number.
    pub index: usize,
    /// The cluster; its `members` hold only its canonical copy when the copies are on disk.
    pub cluster: &'a Cluster,
    /// Position in the cluster of the first of `copies` (0: the canonical copy).
    pub first: usize,
    /// The copies.
    pub copies: &'a [Member],
}

impl<'a> CopyRun<'a> {
    /// The copies with their positions in the cluster.
    pub fn positioned(&self) -> impl Iterator<Item = (usize, &'a Member)> + 'a {
        let first = self.first;
        self.copies
            .iter()
            .enumerate()
            .map(move |(offset, member)| (first + offset, member))
    }

    /// The copies but the canonical one.
    pub fn repeats(&self) -> impl Iterator<Item = &'a Member> + 'a {
        self.positioned()
            .filter(|(position, _)| *position > 0)
            .map(|(_, member)| member)
    }
}

/// Where a window of clusters read from disk from `start` ends: at `READ_COPIES` copies at most
/// (a window of one larger cluster aside), or at `count`.
fn window_end(on_disk: &SpilledMembers, start: usize, count: usize) -> usize {
    let mut end = start + 1;
    let mut copies = on_disk.copies(start);
    while end < count && copies + on_disk.copies(end) <= READ_COPIES {
        copies += on_disk.copies(end);
        end += 1;
    }
    end
}

/// The clusters as laid out on disk: each with its canonical copy only, and its copies on disk.
pub(super) struct LaidOutOnDisk {
    pub clusters: Vec<Cluster>,
    /// Paragraphs with words in the input.
    pub counted_paragraphs: u64,
    pub members: SpilledMembers,
}

impl Scanner {
    /// Stages 5 and 6 past the budget ([`Scanner::lay_out_clusters`] and
    /// [`Scanner::measure_members`] for tables on disk): two passes over the paragraph records
    /// (count each set's occurrences; send each copy to the range file of its place in cluster
    /// order), then each range in order: its copies placed, the shingle sets it needs loaded, its
    /// copies measured and appended to the members file. Needs the spill's tables and folder; the
    /// tables' files are removed once read.
    pub(super) fn lay_out_on_disk(
        &self,
        sets: &mut UnionFind,
        spill: &mut Spill,
    ) -> Result<Option<LaidOutOnDisk>, SpillError> {
        let (Some(mut tables), Some(folder)) = (spill.tables.take(), spill.folder.take()) else {
            return Ok(None);
        };
        let mut roots = self.count_roots(sets, Some(&mut tables.paragraphs))?;
        let total = roots.total_copies();
        let budget_copies = spill.budget.bytes / 16 / 64;
        let per_range = budget_copies.max(total.div_ceil(MAX_RANGES)).max(256);
        let range_count = total.div_ceil(per_range) as usize;
        spill.tell(SpillPhase::Members {
            range: 0,
            ranges: range_count,
        });
        let mut ranges: Vec<NumberFile<u64>> = (0..range_count)
            .map(|r| NumberFile::create(&folder, &format!("members-{r}")))
            .collect::<Result<_, _>>()?;

        // Second pass: clusters numbered by first occurrence, each copy sent to the range file
        // of its place in cluster order.
        let mut clusters: Vec<Cluster> = Vec::new();
        let mut starts: Vec<u64> = Vec::new();
        let mut filled: Vec<u32> = Vec::new();
        let mut canonical_unique: Vec<u32> = Vec::new();
        let mut next_start = 0u64;
        let mut counted_paragraphs = 0u64;
        let mut failure = None;
        self.for_each_paragraph(Some(&mut tables.paragraphs), |global, paragraph| {
            if paragraph.unique == NO_UNIQUE || failure.is_some() {
                return;
            }
            if global >= self.indexed.paragraphs {
                counted_paragraphs += 1;
            }
            let root = sets.find(paragraph.unique);
            let id = match roots.visit(root, clusters.len()) {
                RootVisit::Single => return,
                RootVisit::Known(id) => id,
                RootVisit::First { id, count } => {
                    clusters.push(Cluster {
                        id,
                        kind: ClusterKind::WithinDocument,
                        documents: 0,
                        duplicate_bytes: 0,
                        members: Vec::new(),
                    });
                    starts.push(next_start);
                    next_start += u64::from(count);
                    filled.push(0);
                    canonical_unique.push(paragraph.unique);
                    id
                }
            };
            let slot = starts[id] + u64::from(filled[id]);
            filled[id] += 1;
            let index_in_doc = match self.indexed.paragraph_numbers.get(global) {
                Some(&number) => number,
                None => global as u32 - self.documents.first_paragraph(paragraph.doc as usize),
            };
            let span = self.span_of_entry(global, paragraph);
            let record = [
                slot,
                u64::from(paragraph.doc) << 32 | u64::from(index_in_doc),
                span.start as u64,
                span.end as u64,
                u64::from(paragraph.unique),
            ];
            if let Err(error) = ranges[(slot / per_range) as usize].append(&record) {
                failure = Some(error);
            }
        })?;
        if let Some(error) = failure {
            return Err(error);
        }
        starts.push(next_start);
        drop((roots, filled));
        tables.paragraphs.remove()?;
        for file in tables.band_keys {
            file.remove()?;
        }

        // Each range: its copies placed, measured, appended to the members file in order.
        let mut members_file = NumberFile::<u64>::create(&folder, "members")?;
        let mut cursor = 0usize;
        let mut last_doc = u32::MAX;
        for (range, mut file) in ranges.into_iter().enumerate() {
            spill.tell(SpillPhase::Members {
                range: range + 1,
                ranges: range_count,
            });
            let first = range as u64 * per_range;
            let width = PLACED_NUMBERS as u64;
            let mut members = vec![FIRST_MEASURE; (file.len() / width) as usize];
            let mut uniques = vec![NO_UNIQUE; members.len()];
            let mut at = 0u64;
            while at < file.len() {
                let end = (at + READ_COPIES as u64 * width).min(file.len());
                for record in file.read_range(at..end)?.chunks_exact(PLACED_NUMBERS) {
                    let slot = (record[0] - first) as usize;
                    members[slot].doc = (record[1] >> 32) as u32;
                    members[slot].paragraph = record[1] as u32;
                    members[slot].span = crate::segment::Span {
                        start: record[2] as usize,
                        end: record[3] as usize,
                    };
                    uniques[slot] = record[4] as u32;
                }
                at = end;
            }
            file.remove()?;
            let cluster_of =
                |slot: usize| starts.partition_point(|&s| s <= first + slot as u64) - 1;
            let near = |unique: u32| self.near_of(unique);
            let mut needed = Vec::new();
            for (slot, &unique) in uniques.iter().enumerate() {
                let canonical = canonical_unique[cluster_of(slot)];
                if unique != canonical {
                    needed.extend([near(unique), near(canonical)]);
                }
            }
            needed.retain(|&near| near != NOT_NEAR);
            needed.sort_unstable();
            needed.dedup();
            let sets = tables.shingles.load_sets(&needed, &self.shingle_offsets)?;
            let view = SetView::Loaded(&sets);
            members
                .par_iter_mut()
                .zip(uniques.par_iter())
                .enumerate()
                .for_each(|(slot, (member, &unique))| {
                    let canonical = canonical_unique[cluster_of(slot)];
                    self.measure_copy(member, unique, canonical, view);
                });
            for (slot, member) in members.iter().enumerate() {
                let place = first + slot as u64;
                while starts[cursor + 1] <= place {
                    cursor += 1;
                }
                let cluster = &mut clusters[cursor];
                if place == starts[cursor] {
                    cluster.documents = 1;
                    cluster.members.push(member.clone());
                } else {
                    // Copies are in input order, so a document's copies are adjacent.
                    if member.doc != last_doc {
                        cluster.documents += 1;
                    }
                    cluster.duplicate_bytes += member.span.len() as u64;
                }
                last_doc = member.doc;
                if cluster.documents > 1 {
                    cluster.kind = ClusterKind::CrossDocument;
                }
            }
            members_file.append_iter(members.iter().flat_map(encode))?;
        }
        tables.shingles.remove()?;
        Ok(Some(LaidOutOnDisk {
            clusters,
            counted_paragraphs,
            members: SpilledMembers {
                file: Mutex::new(members_file),
                starts,
                _folder: folder,
            },
        }))
    }
}

/// A copy before it is measured: as an exact copy of its canonical one.
const FIRST_MEASURE: Member = Member {
    doc: 0,
    paragraph: 0,
    span: crate::segment::Span { start: 0, end: 0 },
    similarity: 1.0,
    containment: 1.0,
    contained: false,
    holds_canonical: false,
    via_chain: false,
};
