//! The spanning tree the nodes forward along, fixed in advance for the
//! challenge's 25 nodes, `n0` ... `n24`; the tutorial's `topology.go`.
//!
//! Each entry names the nodes a node forwards a value to: its children.
//! [`MASTER_NODE`] is the root; every other node sends the values its
//! clients give it to the master as well as to its own children, and the
//! master passes them down the tree, so every node hears of every value.
//!
//! ```text
//! n12
//! ├── n7
//! │   ├── n6 ── n5
//! │   ├── n2
//! │   │   ├── n1 ── n0
//! │   │   └── n3 ── n4
//! │   └── n8 ── n9
//! ├── n11 ── n10
//! ├── n13 ── n14
//! └── n17
//!     ├── n16 ── n15
//!     ├── n18 ── n19
//!     └── n22
//!         ├── n21 ── n20
//!         └── n23 ── n24
//! ```
//!
//! At most four hops from the master to any node, plus one from a value's
//! origin to the master: a value reaches every node within five hops, 500 ms
//! at the challenge's 100 ms a hop.

/// Each node and its children in the tree.
///
/// Hard-coded, as in the tutorial: a real system would build it from the
/// cluster it is given.
pub const TOPOLOGY: [(&str, &[&str]); 25] = [
    ("n0", &[]),
    ("n1", &["n0"]),
    ("n2", &["n1", "n3"]),
    ("n3", &["n4"]),
    ("n4", &[]),
    ("n5", &[]),
    ("n6", &["n5"]),
    ("n7", &["n6", "n2", "n8"]),
    ("n8", &["n9"]),
    ("n9", &[]),
    ("n10", &[]),
    ("n11", &["n10"]),
    ("n12", &["n7", "n11", "n13", "n17"]),
    ("n13", &["n14"]),
    ("n14", &[]),
    ("n15", &[]),
    ("n16", &["n15"]),
    ("n17", &["n16", "n18", "n22"]),
    ("n18", &["n19"]),
    ("n19", &[]),
    ("n20", &[]),
    ("n21", &["n20"]),
    ("n22", &["n21", "n23"]),
    ("n23", &["n24"]),
    ("n24", &[]),
];

/// The root of the tree, which every node sends its clients' values to.
/// Hard-coded, as in the tutorial; in a real system it would be chosen.
pub const MASTER_NODE: &str = "n12";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Each node's children, by node id.
    fn children() -> HashMap<&'static str, &'static [&'static str]> {
        TOPOLOGY.into_iter().collect()
    }

    /// The tree has the challenge's 25 nodes, n0 to n24, each once.
    #[test]
    fn the_tree_has_the_25_nodes_of_the_challenge() {
        let ids: Vec<&str> = TOPOLOGY.iter().map(|(id, _)| *id).collect();
        let expected: Vec<String> = (0..25).map(|i| format!("n{i}")).collect();
        assert_eq!(ids, expected);
    }

    /// Going down from the master reaches every node exactly once (a tree,
    /// not a graph with cycles or unreachable parts), at most four hops deep.
    #[test]
    fn the_master_reaches_every_node_once_within_four_hops() {
        let children = children();
        let mut depth_of: HashMap<&str, usize> = HashMap::new();
        let mut level = vec![MASTER_NODE];
        let mut depth = 0;
        while !level.is_empty() {
            let mut next = Vec::new();
            for id in level {
                assert!(depth_of.insert(id, depth).is_none(), "{id} reached twice");
                let Some(kids) = children.get(id) else {
                    panic!("{id} is a child but has no entry of its own");
                };
                next.extend_from_slice(kids);
            }
            level = next;
            depth += 1;
        }
        assert_eq!(depth_of.len(), 25, "reached: {depth_of:?}");
        assert_eq!(depth_of.values().max(), Some(&4));
    }
}
