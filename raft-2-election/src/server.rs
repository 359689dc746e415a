//! Maelstrom's Raft chapter, step 2: leader election
//! (`doc/06-raft/02-leader-election.md` in jepsen-io/maelstrom).
//!
//! ```text
//! maelstrom/maelstrom test -w lin-kv --bin target/release/raft-2-election --time-limit 10 --node-count 3 --concurrency 2n --rate 0 --log-stderr
//! ```
//! (`make run MODULE=raft-2-election` builds the release binary and runs
//! exactly this; then `grep Became store/latest/node-logs/*` shows who led
//! which term, as in the chapter. With `--rate 0` no client asks anything,
//! so there is nothing to check and the run passes, as in Maelstrom: the
//! logs are the point.)
//!
//! Changed since step 1: the nodes elect a leader, following the Raft paper
//! (Ongaro and Ousterhout, "In Search of an Understandable Consensus
//! Algorithm", section 5.2). Client requests are still applied locally, as
//! in step 1, so with `--rate` above 0 on three nodes the test is still
//! invalid; that changes in step 4. What is new:
//! - A node is a follower, a candidate or a leader ([`State`]), in a
//!   *term* that only rises; each node votes at most once a term
//!   (`voted_for`).
//! - The log (`raft_log.rs`), empty but for its first entry so far: a
//!   candidate's vote request carries its last entry's index and term, and a
//!   node votes only for a candidate whose log is at least as up to date as
//!   its own (section 5.4).
//! - The election timer (`timers.rs`): every 100 ms, after a random pause
//!   of up to 100 ms so that nodes do not all wake at once, a node that is
//!   not the leader and has heard nothing that pushes its *election
//!   deadline* back (a vote it granted, its own candidacy) becomes a
//!   candidate: a new term, a vote for itself, a `request_vote` to every
//!   other node. A majority of votes makes it leader.
//! - Any message with a higher term makes a node adopt that term and step
//!   down to follower. A leader also steps down when nothing has reset its
//!   *step-down deadline* for an election timeout; in this step only vote
//!   responses do, so a leader steps down about 2 s after its election, as
//!   the chapter shows. Step 3's heartbeats keep it in place.
//!
//! Where ours differs from the chapter's code, on purpose:
//! - A node votes again for the candidate it already voted for in this term
//!   (the paper's rule: `votedFor` is null *or candidateId*), so a
//!   duplicated request gets the same answer.
//! - A candidate counts its own vote as soon as it casts it, so a lone node
//!   (`--node-count 1`) elects itself; the chapter counts votes only as
//!   replies arrive, and a single node never becomes leader.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Error, Message, Node};
use log::{debug, info};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::map::{Map, Op};
use crate::raft_log::Log;
use crate::timers::{every, rand};

/// How long a node waits without hearing from a leader before it runs for
/// election (the chapter's `@election_timeout = 2` seconds); the real
/// deadline is between one and two of these, at random.
const ELECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// How often the election and step-down timers look at their deadlines
/// (the chapter's `@node.every 0.1`).
const TICK: Duration = Duration::from_millis(100);

/// `{"type":"request_vote","term":..,"candidate_id":..,"last_log_index":..,"last_log_term":..}`:
/// a candidate asks for a node's vote in its term.
#[derive(Debug, Serialize, Deserialize)]
struct RequestVote {
    #[serde(rename = "type")]
    typ: String,
    term: u64,
    candidate_id: String,
    last_log_index: usize,
    last_log_term: u64,
}

/// `{"type":"request_vote_res","term":..,"vote_granted":..}`.
#[derive(Debug, Serialize, Deserialize)]
struct RequestVoteRes {
    #[serde(rename = "type")]
    typ: String,
    term: u64,
    vote_granted: bool,
}

/// A node's role in its term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Follower,
    Candidate,
    Leader,
}

/// The Raft node.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// Everything the chapter guards with its `@lock`.
    raft: Mutex<Raft>,
}

/// The node's state, one lock for all of it, as in the chapter. Its methods
/// change the state and send nothing; the server's methods do the talking.
struct Raft {
    /// The key-value map the requests read and change.
    state_machine: Map,
    /// The entries; only the first one so far.
    log: Log,
    /// Follower, candidate or leader.
    state: State,
    /// The current term: starts at 0, only rises.
    term: u64,
    /// The node this one voted for in the current term, if any.
    voted_for: Option<String>,
    /// When to run for election, unless something pushes it back.
    election_deadline: Instant,
    /// When a leader steps down, unless a response from a follower pushes it back.
    step_down_deadline: Instant,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            raft: Mutex::new(Raft::new()),
        });

        // The chapter's `@node.on 'read' do |m| ... end`: each handler gets
        // a handle on the server, which outlives them all.
        let handle = |msg_type: &str, handler: fn(&Arc<Server>, Message) -> Result<(), Error>| {
            let this = Arc::clone(&server);
            server.node.handle(msg_type, move |msg| handler(&this, msg));
        };
        handle("read", Server::client_req);
        handle("write", Server::client_req);
        handle("cas", Server::client_req);
        handle("request_vote", Server::request_vote);

        server
    }

    /// Starts the timers, then serves messages until the input ends.
    pub fn run(self: &Arc<Self>) -> Result<(), Error> {
        // Leader election: the random pause keeps the nodes' timers apart.
        let server = Arc::clone(self);
        every(TICK, move || {
            std::thread::sleep(TICK.mul_f64(rand()));
            server.election_tick();
        });
        // Leader step-down.
        let server = Arc::clone(self);
        every(TICK, move || server.step_down_tick());

        self.node.run()
    }

    /// A client's `read`, `write` or `cas`: applied to the state machine
    /// under the lock, and answered with its response, or with its error
    /// (20 for a missing key, 22 for a cas that finds another value).
    fn client_req(self: &Arc<Self>, msg: Message) -> Result<(), Error> {
        let op: Op = msg.body()?;
        let mut raft = self.raft.lock();
        let res = raft.state_machine.apply(&op);
        debug!("{op:?} from {}: {res:?}", msg.src);
        match res {
            Ok(response) => self.node.reply(&msg, &response),
            Err(error) => self.node.reply(&msg, &error),
        }
    }

    /// A candidate's `request_vote`: granted or not by the rules of
    /// [`Raft::grant_vote`], after adopting a higher term.
    fn request_vote(self: &Arc<Self>, msg: Message) -> Result<(), Error> {
        let body: RequestVote = msg.body()?;
        let mut raft = self.raft.lock();
        raft.maybe_step_down(body.term);
        let vote_granted = raft.grant_vote(&body);
        let res = RequestVoteRes {
            typ: "request_vote_res".to_string(),
            term: raft.term,
            vote_granted,
        };
        self.node.reply(&msg, &res)
    }

    /// The election timer: past the deadline, a leader only pushes it back
    /// and anyone else runs for election. Nothing happens before `init`.
    fn election_tick(self: &Arc<Self>) {
        if self.node.id().is_empty() {
            return;
        }
        let mut raft = self.raft.lock();
        if raft.election_deadline < Instant::now() {
            if raft.state == State::Leader {
                raft.reset_election_deadline();
            } else {
                self.become_candidate(&mut raft);
            }
        }
    }

    /// The step-down timer: a leader that has heard from nobody since its
    /// step-down deadline becomes a follower.
    fn step_down_tick(&self) {
        let mut raft = self.raft.lock();
        if raft.state == State::Leader && raft.step_down_deadline < Instant::now() {
            info!("Stepping down: haven't received any acks recently");
            raft.become_follower();
        }
    }

    /// Becomes a candidate in the next term, voting for itself, and asks
    /// the other nodes for their votes.
    fn become_candidate(self: &Arc<Self>, raft: &mut Raft) {
        let me = self.node.id();
        raft.become_candidate(&me);
        self.request_votes(raft);
    }

    /// Sends `request_vote` to every other node and counts the votes that
    /// come back for this term; a majority makes this node leader.
    fn request_votes(self: &Arc<Self>, raft: &mut Raft) {
        let me = self.node.id();
        let node_count = self.node.node_ids().len();
        let term = raft.term;
        // We vote for ourselves.
        let votes = Arc::new(Mutex::new(HashSet::from([me.clone()])));
        if majority(node_count) <= 1 {
            raft.become_leader();
            return;
        }
        let body = RequestVote {
            typ: "request_vote".to_string(),
            term,
            candidate_id: me.clone(),
            last_log_index: raft.log.size(),
            last_log_term: raft.log.last().term,
        };
        for peer in self.other_node_ids() {
            let server = Arc::clone(self);
            let votes = Arc::clone(&votes);
            self.node
                .rpc(&peer, &body, move |res| {
                    let body: RequestVoteRes = res.body()?;
                    let mut raft = server.raft.lock();
                    raft.reset_step_down_deadline();
                    raft.maybe_step_down(body.term);
                    if raft.state == State::Candidate
                        && raft.term == term
                        && body.term == term
                        && body.vote_granted
                    {
                        // A vote for our candidacy, and we're still in the term
                        // we asked for it in.
                        let mut votes = votes.lock();
                        votes.insert(res.src.clone());
                        info!("Have votes: {votes:?}");
                        if majority(node_count) <= votes.len() {
                            raft.become_leader();
                        }
                    }
                    Ok(())
                })
                .unwrap_or_else(|e| log::warn!("cannot ask {peer} for a vote: {e}"));
        }
    }

    /// Every node but this one.
    fn other_node_ids(&self) -> Vec<String> {
        let me = self.node.id();
        let mut ids = self.node.node_ids();
        ids.retain(|id| *id != me);
        ids
    }
}

impl Raft {
    /// A follower in term 0 with the first log entry only, whose election
    /// deadline has already passed (the chapter's `Time.now`).
    fn new() -> Raft {
        let now = Instant::now();
        Raft {
            state_machine: Map::new(),
            log: Log::new(),
            state: State::Follower,
            term: 0,
            voted_for: None,
            election_deadline: now,
            step_down_deadline: now,
        }
    }

    /// Don't start an election for a while: one to two election timeouts.
    fn reset_election_deadline(&mut self) {
        self.election_deadline = Instant::now() + ELECTION_TIMEOUT.mul_f64(rand() + 1.0);
    }

    /// We heard from a follower: don't step down for an election timeout.
    fn reset_step_down_deadline(&mut self) {
        self.step_down_deadline = Instant::now() + ELECTION_TIMEOUT;
    }

    /// Moves to the higher `term`, where this node has not voted yet.
    ///
    /// # Panics
    /// If `term` is not higher: every caller checks first, so that would be
    /// a bug here, not something a message can cause.
    fn advance_term(&mut self, term: u64) {
        assert!(
            self.term < term,
            "term can't go backwards: {} to {term}",
            self.term
        );
        self.term = term;
        self.voted_for = None;
    }

    /// If `remote_term` is higher than ours, adopts it and becomes a follower.
    fn maybe_step_down(&mut self, remote_term: u64) {
        if self.term < remote_term {
            info!(
                "Stepping down: remote term {remote_term} higher than our term {}",
                self.term
            );
            self.advance_term(remote_term);
            self.become_follower();
        }
    }

    fn become_follower(&mut self) {
        self.state = State::Follower;
        self.reset_election_deadline();
        info!("Became follower for term {}", self.term);
    }

    /// A new term, with our own vote in it.
    fn become_candidate(&mut self, me: &str) {
        self.state = State::Candidate;
        self.advance_term(self.term + 1);
        self.voted_for = Some(me.to_string());
        self.reset_election_deadline();
        self.reset_step_down_deadline();
        info!("Became candidate for term {}", self.term);
    }

    fn become_leader(&mut self) {
        // Only a candidate counts votes, so only a candidate gets here.
        debug_assert_eq!(self.state, State::Candidate);
        self.state = State::Leader;
        self.reset_step_down_deadline();
        info!("Became leader for term {}", self.term);
    }

    /// Whether to vote for `request`'s candidate (the paper's RequestVote
    /// rules, section 5.2 and 5.4), recording the vote if so: not for an
    /// older term, not for a second candidate in one term, and not for a
    /// candidate whose log is behind ours (an older last term, or the same
    /// last term and fewer entries). Granting a vote pushes our own
    /// election back.
    fn grant_vote(&mut self, request: &RequestVote) -> bool {
        let last = self.log.last().term;
        let candidate = &request.candidate_id;
        if request.term < self.term {
            info!(
                "Candidate term {} lower than {}, not granting vote.",
                request.term, self.term
            );
        } else if self.voted_for.as_ref().is_some_and(|v| v != candidate) {
            info!("Already voted for {:?}; not granting vote.", self.voted_for);
        } else if request.last_log_term < last {
            info!(
                "Have log entries from term {last}, which is newer than remote term {}; not granting vote.",
                request.last_log_term
            );
        } else if request.last_log_term == last && request.last_log_index < self.log.size() {
            info!(
                "Our logs are both at term {last}, but our log is {} and theirs is only {} long; not granting vote.",
                self.log.size(),
                request.last_log_index
            );
        } else {
            info!("Granting vote to {candidate}");
            self.voted_for = Some(candidate.clone());
            self.reset_election_deadline();
            return true;
        }
        false
    }
}

/// How many of `n` nodes make a majority: 2 of 3, 3 of 4 or 5.
fn majority(n: usize) -> usize {
    n / 2 + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft_log::Entry;

    /// A vote request from `candidate` in `term`, whose log ends at
    /// `last_log_index` with an entry of `last_log_term`.
    fn request(
        term: u64,
        candidate: &str,
        last_log_index: usize,
        last_log_term: u64,
    ) -> RequestVote {
        RequestVote {
            typ: "request_vote".to_string(),
            term,
            candidate_id: candidate.to_string(),
            last_log_index,
            last_log_term,
        }
    }

    /// A majority is more than half.
    #[test]
    fn majorities() {
        assert_eq!([1, 2, 3, 4, 5].map(majority), [1, 2, 2, 3, 3]);
    }

    /// One vote per term: the first candidate gets it (again, if it asks
    /// again), the second does not; a higher term frees the vote.
    #[test]
    fn a_node_votes_once_a_term() {
        let mut raft = Raft::new();
        raft.maybe_step_down(1);
        assert!(raft.grant_vote(&request(1, "n1", 1, 0)));
        assert!(
            raft.grant_vote(&request(1, "n1", 1, 0)),
            "the same candidate again"
        );
        assert!(!raft.grant_vote(&request(1, "n2", 1, 0)));
        raft.maybe_step_down(2);
        assert_eq!(raft.voted_for, None);
        assert!(raft.grant_vote(&request(2, "n2", 1, 0)));
        assert_eq!(raft.voted_for.as_deref(), Some("n2"));
    }

    /// No vote for an older term, nor for a candidate whose log is behind:
    /// an older last term, or the same last term and a shorter log.
    #[test]
    fn no_vote_for_an_old_term_or_a_log_behind_ours() {
        let mut raft = Raft::new();
        raft.log.append(vec![
            Entry { term: 2, op: None },
            Entry { term: 3, op: None },
        ]);
        raft.maybe_step_down(4);
        assert!(!raft.grant_vote(&request(3, "n1", 9, 3)), "older term");
        assert!(!raft.grant_vote(&request(4, "n1", 9, 2)), "older last term");
        assert!(!raft.grant_vote(&request(4, "n1", 2, 3)), "shorter log");
        assert_eq!(raft.voted_for, None);
        assert!(raft.grant_vote(&request(4, "n1", 3, 3)), "as up to date");
        raft.maybe_step_down(5);
        assert!(raft.grant_vote(&request(5, "n2", 1, 4)), "newer last term");
    }

    /// A higher term makes a leader a follower in that term; a lower or
    /// equal one changes nothing.
    #[test]
    fn a_higher_term_makes_a_follower() {
        let mut raft = Raft::new();
        raft.become_candidate("n0");
        raft.become_leader();
        assert_eq!((raft.state, raft.term), (State::Leader, 1));
        raft.maybe_step_down(1);
        assert_eq!((raft.state, raft.term), (State::Leader, 1));
        raft.maybe_step_down(3);
        assert_eq!((raft.state, raft.term), (State::Follower, 3));
    }
}
