//! Publishing commits only the archive's own paths, and never holds a stopping service
//! hostage (issue 12, point 5): an untracked secret beside an archive at the repository's root
//! stays out of every commit; a remote that accepts and never answers does not keep `run`
//! from ending within 5 s of SIGTERM, and the pending push happens on the next run.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn init_repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
}

#[test]
fn secrets_beside_an_archive_at_the_repository_root_are_never_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    init_repo(root);
    std::fs::write(root.join("feed.xml"), big_feed("s", 3)).unwrap();
    std::fs::write(root.join("secret.txt"), "password=hunter2\n").unwrap();
    std::fs::create_dir_all(root.join("private")).unwrap();
    std::fs::write(root.join("private/key.pem"), "-----BEGIN KEY-----\n").unwrap();
    let cfg = root.join("newsmirror.toml");
    std::fs::write(
        &cfg,
        "[archive]\ndir = \".\"\n[fetch]\nproxy = \"socks5h://reader:secret@127.0.0.1:1\"\n\
         [publish]\ngit = true\n\n[[sources]]\nslug = \"s\"\nname = \"S\"\nfulltext = \"feed\"\nfeeds = [\"feed.xml\"]\n",
    )
    .unwrap();
    // The keeper tracks the config; later edits to it are the keeper's to commit.
    git(root, &["add", "newsmirror.toml", "feed.xml"]);
    git(
        root,
        &[
            "-c",
            "user.name=k",
            "-c",
            "user.email=k@x",
            "commit",
            "-qm",
            "config",
        ],
    );
    std::fs::write(&cfg, std::fs::read_to_string(&cfg).unwrap() + "# edited\n").unwrap();
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let committed = git(root, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(committed.contains("articles/s/1048574.md"), "{committed}");
    assert!(committed.contains("lists/S.md"), "{committed}");
    for secret in [
        "secret.txt",
        "private/key.pem",
        "newsmirror.toml",
        ".newsmirror",
    ] {
        assert!(
            !committed.contains(secret),
            "{secret} committed: {committed}"
        );
    }
    let all = git(root, &["ls-files"]);
    assert!(
        !all.contains("secret.txt") && !all.contains("key.pem"),
        "{all}"
    );
    let status = git(root, &["status", "--porcelain"]);
    assert!(
        status.contains("?? secret.txt") && status.contains(" M newsmirror.toml"),
        "the keeper's files are left as they were: {status}"
    );
}

#[test]
fn sigterm_ends_run_while_a_push_hangs_and_the_next_run_pushes() {
    let tmp = tempfile::tempdir().unwrap();
    // A remote that accepts connections and never answers.
    let hang = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hang.local_addr().unwrap().port();
    let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in hang.incoming().flatten() {
            let _ = seen_tx.send(());
            held.push(s); // keep it open, say nothing
        }
    });
    std::fs::write(tmp.path().join("feed.xml"), big_feed("s", 2)).unwrap();
    let cfg = tmp.path().join("newsmirror.toml");
    std::fs::write(
        &cfg,
        "[archive]\ndir = \"archive\"\n[publish]\ngit = true\nremotes = [\"origin\"]\n\n\
         [[sources]]\nslug = \"s\"\nname = \"S\"\nfulltext = \"feed\"\nfeeds = [\"feed.xml\"]\n",
    )
    .unwrap();
    let archive = tmp.path().join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    init_repo(&archive);
    git(
        &archive,
        &[
            "remote",
            "add",
            "origin",
            &format!("http://127.0.0.1:{port}/mirror.git"),
        ],
    );
    let mut child = command(&["run", "--config", cfg.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    seen_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the push reached the remote");
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sending a signal to our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let asked = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if asked.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("run did not end within 5 s of SIGTERM while the push hung");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert_eq!(git(&archive, &["log", "--format=%s"]).lines().count(), 1);

    // The next run, with the remote working again, pushes the pending commit.
    let bare = tmp.path().join("remote.git");
    let out = Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(&bare)
        .output()
        .unwrap();
    assert!(out.status.success());
    git(
        &archive,
        &["remote", "set-url", "origin", bare.to_str().unwrap()],
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let pushed = Command::new("git")
        .arg("--git-dir")
        .arg(&bare)
        .args(["log", "--format=%s", "main"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&pushed.stdout).contains("update: 2 new"),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
}
