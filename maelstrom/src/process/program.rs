//! The node program: `--bin` and the trailing arguments, checked before anything starts, and
//! the launch line the log shows (as Maelstrom's `src/maelstrom/process.clj` logs it).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// How nodes are started.
#[derive(Debug, Clone)]
pub struct NodeProgram {
    /// `--bin` as the user gave it (for the `launching` log line).
    pub given: PathBuf,
    /// The same, made absolute against the working directory and checked.
    pub path: PathBuf,
    /// Trailing arguments.
    pub args: Vec<String>,
}

impl NodeProgram {
    /// Resolves `--bin` against the working directory and checks that it is an executable file,
    /// with a clear error naming the path otherwise (the runner exits 255 on it).
    pub fn resolve(bin: &Path, args: &[String]) -> Result<NodeProgram, String> {
        let path = if bin.is_absolute() {
            bin.to_path_buf()
        } else {
            let cwd = std::env::current_dir()
                .map_err(|e| format!("Cannot determine the working directory: {e}"))?;
            cwd.join(bin)
        };
        let metadata = std::fs::metadata(&path).map_err(|e| {
            let (what, hint) = if e.kind() == std::io::ErrorKind::NotFound {
                ("no such file", build_hint(&path))
            } else {
                ("cannot read", String::new())
            };
            format!(
                "Cannot run --bin {}: {what} {} ({e}){hint}",
                bin.display(),
                path.display()
            )
        })?;
        if !metadata.is_file() {
            return Err(format!(
                "Cannot run --bin {}: {} is not a file",
                bin.display(),
                path.display()
            ));
        }
        if metadata.permissions().mode() & 0o111 == 0 {
            return Err(format!(
                "Cannot run --bin {}: {} is not executable (try chmod +x)",
                bin.display(),
                path.display()
            ));
        }
        if let Some(interpreter) = missing_interpreter(&path) {
            return Err(format!(
                "Cannot run --bin {}: its first line (#!) names the interpreter {}, which does \
                 not exist",
                bin.display(),
                interpreter.display()
            ));
        }
        Ok(NodeProgram {
            given: bin.to_path_buf(),
            path,
            args: args.to_vec(),
        })
    }

    /// The `launching <bin> [<args>]` log line (`src/maelstrom/process.clj`).
    pub fn launch_line(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| Value::String(a.clone()).to_string())
            .collect();
        format!("launching {} [{}]", self.given.display(), args.join(" "))
    }
}

/// For a `--bin` that does not exist: how a part's binary gets built. A path into cargo's
/// `target/<profile>/` names the crate to build; any other path gets where parts are built.
fn build_hint(path: &Path) -> String {
    let profile = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|p| p.to_str());
    let in_target = path
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .is_some_and(|t| t == "target");
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("<part>");
    match profile {
        Some("release") if in_target => format!(
            "; build it first: make build MODULE={name} (cargo build --release -p {name}), or \
             make run MODULE={name}, which builds and runs it"
        ),
        Some("debug") if in_target => format!(
            "; build it first: cargo build -p {name} (make build MODULE={name} builds \
             target/release/{name})"
        ),
        _ => "; a part's binary is target/release/<part>, built by make build MODULE=<part>"
            .to_string(),
    }
}

/// The interpreter a script's `#!` line names, if that is an absolute path to nothing (the
/// kernel's "No such file or directory" would otherwise seem to be about the script itself).
fn missing_interpreter(path: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = line.split(|b| *b == b'\n').next()?;
    let first = std::str::from_utf8(line).ok()?.split_whitespace().next()?;
    let interpreter = PathBuf::from(first);
    (interpreter.is_absolute() && !interpreter.exists()).then_some(interpreter)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A missing --bin, a non-executable file and a script whose `#!` interpreter is missing are
    /// reported with their paths.
    #[test]
    fn resolve_checks_the_binary() {
        let missing = NodeProgram::resolve(Path::new("no/such/node"), &[]).expect_err("missing");
        assert!(
            missing.contains("no/such/node") && missing.contains("no such file"),
            "{missing}"
        );
        let dir = std::env::temp_dir().join(format!("maelstrom-resolve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("plain");
        std::fs::write(&file, "not a program").expect("write");
        let text = NodeProgram::resolve(&file, &[]).expect_err("not executable");
        assert!(text.contains("not executable"), "{text}");
        let text = NodeProgram::resolve(&dir, &[]).expect_err("directory");
        assert!(text.contains("is not a file"), "{text}");
        let sh = NodeProgram::resolve(Path::new("/bin/sh"), &["-c".into(), "x y".into()])
            .expect("sh is executable");
        assert_eq!(sh.launch_line(), r#"launching /bin/sh ["-c" "x y"]"#);
        let script = dir.join("script");
        std::fs::write(&script, "#!/no/such/interp -u\necho hi\n").expect("write");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let text = NodeProgram::resolve(&script, &[]).expect_err("missing interpreter");
        assert!(
            text.contains("names the interpreter /no/such/interp,"),
            "{text}"
        );
        std::fs::write(&script, "#!/bin/sh\necho hi\n").expect("write");
        NodeProgram::resolve(&script, &[]).expect("an existing interpreter is fine");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
