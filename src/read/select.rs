//! Which files inside a folder are read, chosen by glob patterns (`--glob`).
//!
//! Patterns follow the habit of `.gitignore` and `fd`: a pattern without a `/` is matched against
//! the file's name (`*.jsonl.gz` selects such files at any depth), a pattern with one against the
//! path relative to the folder given (`2024/**/*.txt`), and a pattern starting with `!` excludes
//! what it matches. `*` and `?` never match a `/`: `2024/*.txt` is the files directly in `2024`. With no including pattern, every file is selected.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::fmt;
use std::path::Path;

/// A glob pattern that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectionError {
    /// The pattern as given.
    pub pattern: String,
    /// Why it does not parse.
    pub message: String,
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid glob '{}': {}", self.pattern, self.message)
    }
}

impl std::error::Error for SelectionError {}

/// Patterns of one kind: those matched against names and those matched against relative paths.
#[derive(Clone, Debug)]
struct Patterns {
    names: GlobSet,
    paths: GlobSet,
    count: usize,
}

impl Patterns {
    fn build(patterns: &[&str]) -> Result<Patterns, SelectionError> {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for &pattern in patterns {
            // `*` and `?` stay within one path component (`2024/*.txt` is not
            // `2024/01/a.txt`); `**` crosses folders.
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| SelectionError {
                    pattern: pattern.to_owned(),
                    message: e.kind().to_string(),
                })?;
            if pattern.contains('/') {
                paths.add(glob);
            } else {
                names.add(glob);
            }
        }
        let error = |e: globset::Error| SelectionError {
            pattern: patterns.join(" "),
            message: e.to_string(),
        };
        Ok(Patterns {
            names: names.build().map_err(error)?,
            paths: paths.build().map_err(error)?,
            count: patterns.len(),
        })
    }

    fn matches(&self, relative: &Path) -> bool {
        relative
            .file_name()
            .is_some_and(|name| self.names.is_match(name))
            || self.paths.is_match(relative)
    }
}

/// The files of a folder that are read.
#[derive(Clone, Debug)]
pub struct FileSelection {
    include: Patterns,
    exclude: Patterns,
}

impl FileSelection {
    /// Every file.
    pub fn all() -> FileSelection {
        let none = || Patterns {
            names: GlobSet::empty(),
            paths: GlobSet::empty(),
            count: 0,
        };
        FileSelection {
            include: none(),
            exclude: none(),
        }
    }

    /// Files matching any of `patterns` (those starting with `!` exclude instead); see the
    /// module documentation for how names and paths are matched.
    pub fn from_globs<S: AsRef<str>>(patterns: &[S]) -> Result<FileSelection, SelectionError> {
        let (exclude, include): (Vec<&str>, Vec<&str>) = patterns
            .iter()
            .map(AsRef::as_ref)
            .partition(|p| p.starts_with('!'));
        let exclude: Vec<&str> = exclude.iter().map(|p| &p[1..]).collect();
        Ok(FileSelection {
            include: Patterns::build(&include)?,
            exclude: Patterns::build(&exclude)?,
        })
    }

    /// Whether a file at `relative` (its path inside the folder given) is read.
    pub fn selects(&self, relative: &Path) -> bool {
        (self.include.count == 0 || self.include.matches(relative))
            && !(self.exclude.count > 0 && self.exclude.matches(relative))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_paths_and_exclusions() {
        let all = FileSelection::all();
        assert!(all.selects(Path::new("a/b.bin")));

        let shards = FileSelection::from_globs(&["*.jsonl.gz", "!*-test.*"]).unwrap();
        assert!(shards.selects(Path::new("x.jsonl.gz")));
        assert!(shards.selects(Path::new("2024/05/x.jsonl.gz")));
        assert!(!shards.selects(Path::new("2024/x.jsonl")));
        assert!(!shards.selects(Path::new("2024/x-test.jsonl.gz")));

        let by_path = FileSelection::from_globs(&["2024/**/*.txt"]).unwrap();
        assert!(by_path.selects(Path::new("2024/a/b.txt")));
        assert!(by_path.selects(Path::new("2024/b.txt")));
        assert!(!by_path.selects(Path::new("2023/a/b.txt")));

        let one_level = FileSelection::from_globs(&["2024/*.txt"]).unwrap();
        assert!(one_level.selects(Path::new("2024/a.txt")));
        assert!(!one_level.selects(Path::new("2024/01/a.txt")));

        let only_exclude = FileSelection::from_globs(&["!*.log"]).unwrap();
        assert!(only_exclude.selects(Path::new("a.txt")));
        assert!(!only_exclude.selects(Path::new("d/a.log")));
    }

    #[test]
    fn bad_pattern_is_an_error() {
        let error = FileSelection::from_globs(&["[abc"]).unwrap_err();
        assert_eq!(error.pattern, "[abc");
        assert!(error.to_string().starts_with("invalid glob '[abc': "));
    }
}
