//! Helpers shared by the integration tests: the real binary, a scratch folder, and corpus text.

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The `paradup` binary, with the GitHub Actions variable cleared so that output does not depend
/// on where the tests run.
pub fn paradup() -> Command {
    let mut cmd = Command::cargo_bin("paradup").expect("binary built");
    cmd.env_remove("GITHUB_ACTIONS");
    cmd
}

/// A scratch folder that is removed at the end of the test.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file (creating folders) and returns its path.
    pub fn write(&self, relative: &str, content: &str) -> PathBuf {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    /// Runs `paradup ARGS...` inside the scratch folder; returns the exit code and stdout.
    pub fn run(&self, args: &[&str]) -> (i32, String) {
        let out = paradup()
            .current_dir(self.dir.path())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap()
    }
}

pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `scan --json` on the inputs and returns the report.
pub fn scan_report(scratch: &Scratch, inputs: &[&Path]) -> Value {
    let report = scratch.path("scan-report.json");
    let mut cmd = paradup();
    cmd.arg("scan").arg("--quiet").arg("--json").arg(&report);
    for input in inputs {
        cmd.arg(input);
    }
    cmd.assert().code(0);
    serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap()
}

/// Distinct news paragraphs, long enough for the near tier, none a near copy of another.
pub const PARAGRAPHS: [&str; 12] = [
    "The city council voted on Tuesday to extend library opening hours through the winter months after a long petition drive.",
    "Farmers in the southern valley reported an early wheat harvest, helped by a dry spring and unusually warm nights.",
    "The central bank kept its main interest rate unchanged, saying inflation had slowed but remained above its target.",
    "A new ferry route between the two islands will start in May, cutting the crossing time to under forty minutes.",
    "Researchers at the university published a study on coastal erosion that maps every cliff along the northern shore.",
    "The national orchestra announced a summer tour of twelve towns, with free concerts in parks and market squares.",
    "Hospital staff began a two-day strike over pay, while emergency wards stayed open with volunteers from other regions.",
    "The football club signed a young goalkeeper from the second division on a contract running until next season.",
    "Heavy rain flooded several streets in the old town, and the fire brigade pumped water out of dozens of cellars.",
    "An art exhibition of restored medieval maps opened at the museum, drawing long queues on its first weekend.",
    "The port authority approved plans for a container terminal on reclaimed land south of the existing harbour wall.",
    "Local schools will receive new laptops for every pupil under a program funded by the regional education office.",
];

/// A publisher's boilerplate line, short and shared.
pub const DISCLAIMER: &str =
    "Legal Disclaimer: the publisher provides this information as is without warranty of any kind.";
