//! A run folder's files, written and read so that what the folder holds cannot redirect them.
//!
//! `maelstrom analyze` works on a folder anyone may have copied, unpacked or edited: a symlink
//! where `results.edn` should be must not make us overwrite the file it points at, a named pipe
//! where `history.edn` should be must not hang us, and a link to `/dev/zero` must not fill the
//! memory. So every file the runner writes in a run's folder is written here:
//!
//! - a whole file ([`write_file`], [`replace_with`]) goes to a new temporary file beside it
//!   (created with `O_EXCL`, so never through a link) that is renamed over it: a link is never
//!   followed, and a reader never sees a half-written file. A name that holds anything but a
//!   regular file (a pipe, a directory) is refused with an error naming it; a link there is
//!   refused or replaced, as the writer's [`AtLink`] says: the run's records (`results.edn`,
//!   `test.edn`, the history) refuse it by name, the views replace the link itself;
//! - `jepsen.log`, which is appended to, is opened with `O_NOFOLLOW | O_NONBLOCK` and must be a
//!   regular file ([`open_append`]);
//! - a subdirectory (`messages/`) must be a real directory ([`ensure_dir`]): a link there is
//!   refused or replaced by a new directory, as [`AtLink`] says, a file there is refused;
//! - a file read back ([`read_regular`]) must be a regular file (links to one are followed: a
//!   read cannot write outside) of at most a cap, so the error says which file and why;
//!   `serve`, which shows only what is inside the store, refuses a link too
//!   ([`read_regular_unlinked`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Most bytes of a `test.edn` read back (it holds the options: a few KB).
pub const MAX_TEST_BYTES: u64 = 1 << 20;
/// Most bytes of a `results.edn` read back (as `serve` reads it): 64 MiB.
pub const MAX_RESULTS_BYTES: u64 = 64 << 20;
/// Most bytes of a `history.edn` or `journal.jsonl` read back: 2 GiB. An honest run stays far
/// below it (a 400,000-op echo history is 68 MB); a larger file is refused rather than read
/// into memory.
pub const MAX_HISTORY_BYTES: u64 = 2 << 30;

/// What a writer does with a symbolic link where it writes. Neither follows it: what the link
/// points at (perhaps outside the run's folder) is never written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtLink {
    /// Refuse, with an error naming the file: for the run's records (`results.edn`,
    /// `test.edn`, the history), where a link may be someone's on purpose, so they are told.
    Refuse,
    /// Replace the link itself with the new file or directory: for the views, which every
    /// analysis draws anew (a folder copied from elsewhere, or changed by a node from its own
    /// folder `nodes/<id>/`, may hold a link where a view goes).
    Replace,
}

/// Writes `contents` to `path` through a temporary file renamed over it (see the module doc);
/// a link at `path` is refused or replaced as `at_link` says.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>, at_link: AtLink) -> io::Result<()> {
    replace_with(path, at_link, |temp| {
        let mut file = OpenOptions::new().write(true).open(temp)?;
        file.write_all(contents.as_ref())?;
        file.flush()
    })
}

/// Makes `path` by calling `fill` on a new, empty temporary file beside it (for writers that
/// open the file themselves, such as the PNG plotter), then renames it over `path`. A `path`
/// holding anything but a regular file (or a link `at_link` replaces) is refused before `fill`
/// runs; the temporary file is removed if `fill` fails. Errors name `path`.
pub fn replace_with<E: std::fmt::Display>(
    path: &Path,
    at_link: AtLink,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> io::Result<()> {
    refuse_unless_writable(path, at_link)?;
    let temp = new_temp(path)?;
    let renamed = fill(&temp)
        .map_err(|e| io::Error::other(format!("{}: {e}", path.display())))
        .and_then(|()| fs::rename(&temp, path).map_err(|e| annotate(e, path)));
    if renamed.is_err() {
        let _ = fs::remove_file(&temp);
    }
    renamed
}

/// A file written in pieces ([`NewFile::file`]) and put in place by [`NewFile::commit`]: a
/// temporary file beside `path` until then, as [`replace_with`] writes one.
pub struct NewFile {
    path: PathBuf,
    temp: PathBuf,
    file: Option<File>,
}

impl NewFile {
    /// Starts writing `path`, one of the run's records: refused as [`replace_with`] refuses
    /// with [`AtLink::Refuse`].
    pub fn create(path: &Path) -> io::Result<NewFile> {
        refuse_unless_writable(path, AtLink::Refuse)?;
        let temp = new_temp(path)?;
        let file = OpenOptions::new()
            .write(true)
            .open(&temp)
            .map_err(|e| annotate(e, path))?;
        Ok(NewFile {
            path: path.to_path_buf(),
            temp,
            file: Some(file),
        })
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut File {
        self.file
            .as_mut()
            .expect("a NewFile is written only before commit")
    }

    /// Renames the written file over `path`.
    pub fn commit(mut self) -> io::Result<()> {
        drop(self.file.take());
        fs::rename(&self.temp, &self.path).map_err(|e| annotate(e, &self.path))
    }
}

impl Write for NewFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for NewFile {
    /// A file never committed (an error while writing it) leaves no temporary file behind.
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Opens `path` to append to it (created if missing), refusing a link (`O_NOFOLLOW`) and
/// anything but a regular file (a named pipe is opened without blocking, then refused).
pub fn open_append(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(path)
        .map_err(|e| match fs::symlink_metadata(path) {
            Ok(m) if !m.file_type().is_file() => refused(path, &m),
            _ => annotate(e, path),
        })?;
    let meta = file.metadata().map_err(|e| annotate(e, path))?;
    if !meta.file_type().is_file() {
        return Err(refused(path, &meta));
    }
    Ok(file)
}

/// Makes the directory `path` if it is missing, so that files written under it stay in the
/// run's folder: a file there is refused, a link refused or replaced (only the link is
/// removed) as `at_link` says.
pub fn ensure_dir(path: &Path, at_link: AtLink) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_dir() => Ok(()),
        Ok(m) if m.file_type().is_symlink() && at_link == AtLink::Replace => {
            fs::remove_file(path).map_err(|e| annotate(e, path))?;
            fs::create_dir(path).map_err(|e| annotate(e, path))
        }
        Ok(m) => Err(refused(path, &m)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir(path).map_err(|e| annotate(e, path))
        }
        Err(e) => Err(annotate(e, path)),
    }
}

/// The text of `path`, which must be a regular file (a named pipe or a device is refused,
/// without blocking) of at most `cap` bytes. `NotFound` when it is missing, so callers can
/// tell a file that is not there from one that is wrong; other errors name the file.
pub fn read_regular(path: &Path, cap: u64) -> io::Result<String> {
    read_capped(path, cap, rustix::fs::OFlags::NONBLOCK)
}

/// [`read_regular`], refusing a link too (`O_NOFOLLOW`): for `serve`, which shows only what is
/// inside the store, not a file a link there leads to.
pub fn read_regular_unlinked(path: &Path, cap: u64) -> io::Result<String> {
    read_capped(
        path,
        cap,
        rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOFOLLOW,
    )
    .map_err(|e| match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => refused(path, &m),
        _ => e,
    })
}

/// The text of `path`, opened with `flags` (besides read), as [`read_regular`] says.
fn read_capped(path: &Path, cap: u64, flags: rustix::fs::OFlags) -> io::Result<String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
        .map_err(|e| annotate(e, path))?;
    let meta = file.metadata().map_err(|e| annotate(e, path))?;
    if !meta.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: is {}, not a regular file: a run's files are read only from regular files",
                path.display(),
                kind(&meta)
            ),
        ));
    }
    let too_big = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: is larger than {} MiB, the most maelstrom reads of it",
                path.display(),
                cap >> 20
            ),
        )
    };
    if meta.len() > cap {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| annotate(e, path))?;
    if bytes.len() as u64 > cap {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not UTF-8 text: {e}", path.display()),
        )
    })
}

/// An error unless `path` is missing, a regular file, or a link `at_link` replaces (the rename
/// over it replaces the link itself: rename never follows one). A pipe or a directory is
/// refused.
pub fn refuse_unless_writable(path: &Path, at_link: AtLink) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() && at_link == AtLink::Replace => Ok(()),
        Ok(m) if !m.file_type().is_file() => Err(refused(path, &m)),
        _ => Ok(()),
    }
}

/// A new, empty temporary file beside `path` (`.tmp-<pid>-<n>-<name>`: the name's extension
/// is kept, as the PNG plotter picks its format by it), created with `O_EXCL` so that nothing
/// already there (a link planted under that name) is followed.
fn new_temp(path: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(
        ".tmp-{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(|e| annotate(e, &temp))?;
    Ok(temp)
}

/// What a file's type is, in words.
fn kind(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    match () {
        _ if t.is_symlink() => "a symbolic link",
        _ if t.is_dir() => "a directory",
        _ if t.is_fifo() => "a named pipe",
        _ if t.is_char_device() || t.is_block_device() => "a device",
        _ if t.is_socket() => "a socket",
        _ if t.is_file() => "a file",
        _ => "not a regular file",
    }
}

/// The error for a run's file that is not a regular file of its own.
fn refused(path: &Path, meta: &fs::Metadata) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{}: is {}; maelstrom writes a run's files only as regular files inside its folder, \
             never through a link or into a pipe (remove it and try again)",
            path.display(),
            kind(meta)
        ),
    )
}

fn annotate(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::TempDir;
    use std::os::unix::fs::symlink;

    /// A symlink where a run's file should be is refused by every writer, and the file it
    /// points at (outside the folder) is left as it was.
    #[test]
    fn writers_never_follow_a_link() {
        let tmp = TempDir::new("files-link");
        let run = tmp.0.join("run");
        fs::create_dir(&run).expect("run");
        let outside = tmp.0.join("outside.txt");
        fs::write(&outside, "precious").expect("outside");
        for name in ["results.edn", "jepsen.log", "history.edn", "index.html"] {
            symlink(&outside, run.join(name)).expect("link");
        }
        let e = write_file(&run.join("results.edn"), "{}", AtLink::Refuse).expect_err("results");
        assert!(e.to_string().contains("is a symbolic link"), "{e}");
        let e = open_append(&run.join("jepsen.log")).expect_err("log");
        assert!(
            e.to_string().contains("jepsen.log: is a symbolic link"),
            "{e}"
        );
        assert!(NewFile::create(&run.join("history.edn")).is_err());
        let e = replace_with(&run.join("index.html"), AtLink::Refuse, |_| {
            Ok::<(), String>(())
        });
        assert!(e.is_err());
        symlink(&tmp.0, run.join("messages")).expect("dir link");
        assert!(ensure_dir(&run.join("messages"), AtLink::Refuse).is_err());
        assert_eq!(fs::read_to_string(&outside).expect("outside"), "precious");
        // Nothing was left behind but the links.
        assert_eq!(fs::read_dir(&run).expect("run").count(), 5);
    }

    /// A regular file is replaced whole; a missing one is made; a directory is made once.
    #[test]
    fn writers_replace_regular_files() {
        let tmp = TempDir::new("files-regular");
        let path = tmp.0.join("results.edn");
        fs::write(&path, "old and longer").expect("old");
        write_file(&path, "new", AtLink::Refuse).expect("write");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new");
        let mut file = NewFile::create(&tmp.0.join("history.edn")).expect("create");
        file.file().write_all(b"line\n").expect("line");
        file.commit().expect("commit");
        assert_eq!(
            fs::read_to_string(tmp.0.join("history.edn")).expect("history"),
            "line\n"
        );
        let mut log = open_append(&tmp.0.join("jepsen.log")).expect("log");
        log.write_all(b"a\n").expect("append");
        ensure_dir(&tmp.0.join("messages"), AtLink::Refuse).expect("dir");
        ensure_dir(&tmp.0.join("messages"), AtLink::Replace).expect("dir again");
        assert_eq!(fs::read_dir(&tmp.0).expect("dir").count(), 4);
    }

    /// A view's writers replace a link where they write (the link itself: what it points at is
    /// left as it was), but still refuse a directory where a file goes and a file where a
    /// directory goes.
    #[test]
    fn view_writers_replace_a_link_never_its_target() {
        let tmp = TempDir::new("files-replace");
        let run = tmp.0.join("run");
        fs::create_dir(&run).expect("run");
        let outside = tmp.0.join("outside.txt");
        fs::write(&outside, "precious").expect("outside");
        for name in ["timeline.html", "rate.png"] {
            symlink(&outside, run.join(name)).expect("link");
        }
        write_file(&run.join("timeline.html"), "view", AtLink::Replace).expect("replaced");
        replace_with(&run.join("rate.png"), AtLink::Replace, |temp| {
            fs::write(temp, "png")
        })
        .expect("replaced");
        symlink(&tmp.0, run.join("messages")).expect("dir link");
        ensure_dir(&run.join("messages"), AtLink::Replace).expect("dir replaced");
        assert_eq!(fs::read_to_string(&outside).expect("outside"), "precious");
        for (name, is_file) in [
            ("timeline.html", true),
            ("rate.png", true),
            ("messages", false),
        ] {
            let meta = fs::symlink_metadata(run.join(name)).expect(name);
            assert_eq!(
                (meta.is_file(), meta.is_dir()),
                (is_file, !is_file),
                "{name}"
            );
        }
        assert_eq!(
            fs::read_to_string(run.join("timeline.html")).expect("view"),
            "view"
        );
        // The link to the folder went, not the folder: tmp still holds the run and the file.
        assert!(run.is_dir() && outside.is_file());
        let e = write_file(&run.join("messages"), "x", AtLink::Replace).expect_err("a dir");
        assert!(e.to_string().contains("is a directory"), "{e}");
        let e = ensure_dir(&run.join("timeline.html"), AtLink::Replace).expect_err("a file");
        assert!(e.to_string().contains("timeline.html: is a file"), "{e}");
    }

    /// A named pipe or a device is refused at once (no hang), a file over the cap is refused
    /// with the cap named, a missing file is `NotFound`.
    #[test]
    fn reads_only_regular_files_within_a_cap() {
        let tmp = TempDir::new("files-read");
        let fifo = tmp.0.join("history.edn");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let e = read_regular(&fifo, MAX_HISTORY_BYTES).expect_err("fifo");
        assert!(e.to_string().contains("is a named pipe"), "{e}");
        let e = open_append(&fifo).expect_err("append to a fifo");
        assert!(e.to_string().contains("is a named pipe"), "{e}");
        let e = read_regular(Path::new("/dev/zero"), MAX_TEST_BYTES).expect_err("device");
        assert!(e.to_string().contains("is a device"), "{e}");
        let zero = tmp.0.join("test.edn");
        symlink("/dev/zero", &zero).expect("link");
        assert!(read_regular(&zero, MAX_TEST_BYTES).is_err());
        let e = read_regular_unlinked(&fifo, MAX_HISTORY_BYTES).expect_err("fifo");
        assert!(e.to_string().contains("is a named pipe"), "{e}");
        let big = tmp.0.join("results.edn");
        fs::write(&big, vec![b' '; 2 << 20]).expect("big");
        let e = read_regular(&big, 1 << 20).expect_err("big");
        assert!(e.to_string().contains("larger than 1 MiB"), "{e}");
        let e = read_regular(&tmp.0.join("absent"), 1).expect_err("absent");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        fs::write(&big, "{}").expect("small");
        assert_eq!(read_regular(&big, 1 << 20).expect("read"), "{}");
        assert_eq!(read_regular_unlinked(&big, 1 << 20).expect("read"), "{}");
        // A link to a regular file: followed by read_regular, refused by read_regular_unlinked.
        let link = tmp.0.join("linked.edn");
        symlink(&big, &link).expect("link");
        assert_eq!(read_regular(&link, 1 << 20).expect("read"), "{}");
        let e = read_regular_unlinked(&link, 1 << 20).expect_err("link");
        assert!(
            e.to_string().contains("linked.edn: is a symbolic link"),
            "{e}"
        );
    }
}
