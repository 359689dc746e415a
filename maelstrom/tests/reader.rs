//! What a reader of the tutorial meets: commands pasted from a challenge page, the errors a
//! mistyped command gets, and what the summary says about a run (which node crashed, what ran,
//! what happened to the cluster, the first bad line of a node).

mod support;

use support::*;

// ---------------------------------------------------------------------------------------------
// Pasted commands

/// Challenge 6c's command as its page prints it (`–-nemesis partition`, an en dash) is refused
/// with exit 254, naming the token and the fix, before any node starts (the README's
/// deliberate differences); after `--` the same token goes to the node.
#[test]
fn unicode_dash_option_is_refused() {
    let run = run(
        "unicode-dash",
        &strings(&[
            "test",
            "-w",
            "txn-rw-register",
            "--bin",
            "/bin/cat",
            "--node-count",
            "2",
            "--concurrency",
            "2n",
            "--time-limit",
            "20",
            "--rate",
            "1000",
            "--consistency-models",
            "read-committed",
            "--availability",
            "total",
            "\u{2013}-nemesis",
            "partition",
        ]),
    );
    run.assert_exit(254);
    assert!(
        run.stdout.contains("\"\u{2013}-nemesis\"")
            && run.stdout.contains("U+2013 EN DASH")
            && run.stdout.contains("Type it as --nemesis")
            && run.stdout.contains("after --"),
        "{}",
        run.output()
    );
    assert!(!run.cwd.join("store").exists(), "no run was started");
    run.clean();
}
