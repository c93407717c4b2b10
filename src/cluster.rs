//! Union-find joins verified pairs into clusters of copies.
//!
//! The root of every set is its smallest member, so the canonical copy of a cluster (its first
//! occurrence in input order) is the root whatever order the pairs arrive in: the clusters depend
//! only on the set of verified pairs, never on how the work was split between threads.

/// Disjoint sets over `0..len`, each represented by its smallest member.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `len` singleton sets.
    pub fn new(len: usize) -> Self {
        UnionFind {
            parent: (0..len as u32).collect(),
        }
    }

    /// The smallest member of the set holding `item`.
    pub fn find(&mut self, item: u32) -> u32 {
        let mut root = item;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        let mut current = item;
        while self.parent[current as usize] != root {
            let next = self.parent[current as usize];
            self.parent[current as usize] = root;
            current = next;
        }
        root
    }

    /// Joins the sets of `a` and `b`; returns false when they were already one set.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (low, high) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[high as usize] = low;
        true
    }
}

/// Leaders of a large bucket verified against each new member, at most.
pub const LEADER_VERIFICATIONS: usize = 48;
/// Leaders of a large bucket looked at (scored, not verified) for each new member, at most: the
/// most recent ones.
pub const LEADER_VISITS: usize = 256;

/// What joining large buckets cost and found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BucketWork {
    /// Pairs checked by the verifier.
    pub verifications: u64,
    /// Pairs it accepted.
    pub accepted: u64,
}

/// Joins the members of one large LSH bucket (a dense family of variants sharing a band) with a
/// bounded number of verifications a member: leader clustering against the union-find state
/// built so far.
///
/// Members are taken in the order given (input order). The bucket keeps leaders: members that
/// joined no earlier leader's set. Each member looks at the [`LEADER_VISITS`] most recent
/// leaders; those already in its set are skipped (their pair would add nothing, and the member
/// counts as covered). The others are ranked by `agreement` (how many LSH bands they share with
/// the member: near copies share more than the one band that put them in this bucket), most
/// recent first on ties, and the first [`LEADER_VERIFICATIONS`] are verified; every leader that
/// accepts the member is joined with it, so one member can bridge two sub-clusters. A member in
/// no leader's set at the end becomes a leader itself.
///
/// Work: at most `LEADER_VERIFICATIONS` verifications and `LEADER_VISITS` rankings a member,
/// whatever the bucket's size. `set_of` maps a member to its union-find item; `verify` decides a
/// pair of members. The result depends only on the members' order and the state of `sets`.
pub fn join_large_bucket(
    members: &[u32],
    sets: &mut UnionFind,
    set_of: impl Fn(u32) -> u32,
    verify: impl Fn(u32, u32) -> bool,
    agreement: impl Fn(u32, u32) -> u32,
) -> BucketWork {
    let mut work = BucketWork::default();
    let mut leaders: Vec<u32> = Vec::new();
    // (agreement, age, leader) of the leaders worth verifying for the current member.
    let mut ranked: Vec<(u32, usize, u32)> = Vec::new();
    for &member in members {
        let item = set_of(member);
        let own = sets.find(item);
        let mut covered = false;
        ranked.clear();
        for (age, &leader) in leaders.iter().rev().take(LEADER_VISITS).enumerate() {
            if sets.find(set_of(leader)) == own {
                covered = true;
            } else {
                ranked.push((agreement(leader, member), age, leader));
            }
        }
        ranked.sort_unstable_by_key(|&(agreement, age, _)| (std::cmp::Reverse(agreement), age));
        for &(_, _, leader) in ranked.iter().take(LEADER_VERIFICATIONS) {
            // An earlier acceptance may have joined this leader's set already.
            if sets.find(set_of(leader)) == sets.find(item) {
                continue;
            }
            work.verifications += 1;
            if verify(leader, member) {
                work.accepted += 1;
                sets.union(set_of(leader), item);
                covered = true;
            }
        }
        if !covered {
            leaders.push(member);
        }
    }
    work
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn root_is_the_smallest_member() {
        let mut sets = UnionFind::new(6);
        assert!(sets.union(4, 5));
        assert!(sets.union(5, 2));
        assert!(!sets.union(4, 2));
        assert_eq!(sets.find(5), 2);
        assert_eq!(sets.find(0), 0);
    }

    proptest! {
        #[test]
        fn order_of_unions_does_not_matter(pairs in proptest::collection::vec((0u32..40, 0u32..40), 0..60)) {
            let mut forward = UnionFind::new(40);
            let mut backward = UnionFind::new(40);
            for &(a, b) in &pairs { forward.union(a, b); }
            for &(a, b) in pairs.iter().rev() { backward.union(b, a); }
            for i in 0..40 { prop_assert_eq!(forward.find(i), backward.find(i)); }
        }
    }
}
