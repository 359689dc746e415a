//! The `:net` checker (`src/maelstrom/net/checker.clj`): message counts from the network journal, for all traffic, for
//! traffic involving a client, and for server-to-server traffic, plus messages per client
//! operation: the figure the efficient-broadcast challenges are judged on.

use crate::edn::Edn;
use crate::history::{History, OpType};
use crate::journal::{Event, EventKind};

/// `{:all {...}, :clients {...}, :servers {...}, :valid? true}`, each group
/// `{:send-count :recv-count :msg-count [:msgs-per-op]}`; `:msgs-per-op` (a float32, msg-count
/// divided by the number of client invocations) only on `:all` and `:servers`, and only when
/// there was at least one invocation.
pub fn check(journal: &[Event], history: &History) -> Edn {
    let op_count = history
        .iter()
        .filter(|op| op.is_client() && op.op_type == OpType::Invoke)
        .count();
    let clients: Vec<&Event> = journal.iter().filter(|e| e.involves_client()).collect();
    let servers: Vec<&Event> = journal.iter().filter(|e| !e.involves_client()).collect();
    let all: Vec<&Event> = journal.iter().collect();
    Edn::map([
        ("all", group(&all, Some(op_count))),
        ("clients", group(&clients, None)),
        ("servers", group(&servers, Some(op_count))),
        ("valid?", Edn::Bool(true)),
    ])
}

/// One group's counts; `per_op` is the op count when `:msgs-per-op` belongs in this group.
fn group(events: &[&Event], per_op: Option<usize>) -> Edn {
    let sends = events.iter().filter(|e| e.kind == EventKind::Send).count();
    let recvs = events.iter().filter(|e| e.kind == EventKind::Recv).count();
    let mut ids: Vec<u64> = events.iter().map(|e| e.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let msgs = ids.len();
    let mut entries = vec![
        ("send-count", Edn::Int(sends as i64)),
        ("recv-count", Edn::Int(recvs as i64)),
        ("msg-count", Edn::Int(msgs as i64)),
    ];
    if let Some(op_count) = per_op.filter(|n| *n > 0) {
        entries.push((
            "msgs-per-op",
            Edn::Float32((msgs as f64 / op_count as f64) as f32),
        ));
    }
    Edn::map(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::Builder;
    use crate::edn::compact;

    /// A journal built message by message.
    #[derive(Default)]
    struct Journal {
        events: Vec<Event>,
        next_id: u64,
    }

    impl Journal {
        /// A message from `src` to `dest`; `delivered` false means a partition dropped it.
        fn message(&mut self, src: &str, dest: &str, delivered: bool) -> &mut Self {
            let id = self.next_id;
            self.next_id += 1;
            let event = |kind| Event {
                kind,
                id,
                time: id as i64,
                src: src.into(),
                dest: dest.into(),
                client: src.starts_with('c') || dest.starts_with('c'),
                msg_type: "".into(),
                body: None,
            };
            self.events.push(event(EventKind::Send));
            if delivered {
                self.events.push(event(EventKind::Recv));
            }
            self
        }
    }

    fn ops(invocations: u64) -> History {
        let mut b = Builder::new();
        for i in 0..invocations {
            b.invoke(i, 0, "read", Edn::Nil).ok(i, 0, "read", Edn::Nil);
        }
        b.nemesis(9, "start-partition");
        b.build()
    }

    /// Groups, counts, dropped messages (send without recv) and msgs-per-op on :all and :servers.
    #[test]
    fn net_formulas_on_a_journal() {
        let mut j = Journal::default();
        j.message("c0", "n0", true)
            .message("n0", "c0", true)
            .message("n0", "n1", true)
            .message("n1", "n0", false)
            .message("n0", "lin-kv", true);
        assert_eq!(
            compact(&check(&j.events, &ops(2))),
            "{:all {:send-count 5, :recv-count 4, :msg-count 5, :msgs-per-op 2.5}, \
             :clients {:send-count 2, :recv-count 2, :msg-count 2}, \
             :servers {:send-count 3, :recv-count 2, :msg-count 3, :msgs-per-op 1.5}, \
             :valid? true}"
        );
    }

    /// msgs-per-op is a float32 (4040/206 prints 19.61165) and is omitted with no invocations.
    #[test]
    fn msgs_per_op_is_float32_and_optional() {
        let mut j = Journal::default();
        for _ in 0..4040 {
            j.message("n0", "n1", true);
        }
        let result = check(&j.events, &ops(206));
        assert_eq!(
            result.get("servers").and_then(|s| s.get("msgs-per-op")),
            Some(&Edn::Float32(19.61165))
        );
        assert_eq!(
            compact(&check(&j.events, &ops(0))),
            "{:all {:send-count 4040, :recv-count 4040, :msg-count 4040}, \
             :clients {:send-count 0, :recv-count 0, :msg-count 0}, \
             :servers {:send-count 4040, :recv-count 4040, :msg-count 4040}, :valid? true}"
        );
    }
}
