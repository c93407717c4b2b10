//! Union-find joins verified pairs into clusters of copies.
//!
//! The root of every set is its smallest member, so the canonical copy of a cluster (its first
//! occurrence in input order) is the root whatever order the pairs arrive in: the clusters depend
//! only on the set of verified pairs, never on how the work was split between threads.

use std::collections::HashMap;

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

/// Earlier members of a large bucket verified against each new member, at most.
pub const BUCKET_VERIFICATIONS: usize = 48;
/// Earlier members of a large bucket looked at (ranked, not verified) for each new member: the
/// most recent ones, and as many of the most recent leaders before them.
pub const BUCKET_VISITS: usize = 256;

/// What joining large buckets cost and found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BucketWork {
    /// Pairs checked by the verifier.
    pub verifications: u64,
    /// Pairs it accepted.
    pub accepted: u64,
}

/// Joins the members of one large LSH bucket (a dense family of variants sharing a band) with a
/// bounded number of verifications a member, against the union-find state built so far.
///
/// Members are taken in the order given (input order). Each new member looks at the
/// [`BUCKET_VISITS`] members before it and at as many leaders before those (a leader is a member
/// that joined nobody's set when it came: the first of each sub-cluster of the bucket). Those
/// already in its set are skipped: their pair would add nothing. The others are ranked by
/// `agreement` (how many LSH bands they share with the member: near copies share more than the one
/// band that put them in this bucket), most recent first on ties, and the first
/// [`BUCKET_VERIFICATIONS`] are verified; every one that accepts is joined with the member, so one
/// member can bridge two sub-clusters.
///
/// Work: at most `BUCKET_VERIFICATIONS` verifications and `2 * BUCKET_VISITS` rankings a member,
/// whatever the bucket's size. `set_of` maps a member to its union-find item; `verify` decides a
/// pair of members. The result depends only on the members' order and the state of `sets`.
pub fn join_large_bucket(
    members: &[u32],
    sets: &mut UnionFind,
    set_of: impl Fn(u32) -> u32,
    verify: impl Fn(u32, u32) -> bool,
    agreement: impl Fn(u32, u32) -> u32,
) -> BucketWork {
    join_large_bucket_where(members, sets, set_of, verify, agreement, |_, _| true)
}

/// [`join_large_bucket`], verifying only the pairs `(earlier, member)` that `worth` accepts (a
/// scan against a shard index does not verify two indexed paragraphs again: the index's groups
/// are what their verification found).
pub fn join_large_bucket_where(
    members: &[u32],
    sets: &mut UnionFind,
    set_of: impl Fn(u32) -> u32,
    verify: impl Fn(u32, u32) -> bool,
    agreement: impl Fn(u32, u32) -> u32,
    worth: impl Fn(u32, u32) -> bool,
) -> BucketWork {
    join_and_lead(members, sets, set_of, verify, agreement, worth).0
}

/// [`join_large_bucket_where`], also returning the positions of the bucket's leaders.
fn join_and_lead(
    members: &[u32],
    sets: &mut UnionFind,
    set_of: impl Fn(u32) -> u32,
    verify: impl Fn(u32, u32) -> bool,
    agreement: impl Fn(u32, u32) -> u32,
    worth: impl Fn(u32, u32) -> bool,
) -> (BucketWork, Vec<usize>) {
    let mut work = BucketWork::default();
    // Positions in `members` of the leaders so far.
    let mut leaders: Vec<usize> = Vec::new();
    // (agreement, age, earlier member) of the earlier members worth verifying.
    let mut ranked: Vec<(u32, usize, u32)> = Vec::new();
    // A first run of members with nothing worth verifying against the members before them
    // (indexed paragraphs, which come first): no union happens while it lasts, so each member's
    // set is fixed, and whether it is a leader (no member it looks at is in its set) is found
    // from the last member and the leaders of each set, without looking at every one.
    let mut start = 0;
    let mut last_of_set: HashMap<u32, usize> = HashMap::new();
    let mut leaders_of_set: HashMap<u32, Vec<usize>> = HashMap::new();
    while start < members.len() && !worth(members[start], members[start]) {
        let own = sets.find(set_of(members[start]));
        let window = start.saturating_sub(BUCKET_VISITS);
        let mut covered = last_of_set.get(&own).is_some_and(|&at| at >= window);
        if !covered {
            // The leaders looked at: the BUCKET_VISITS most recent before the window.
            let before_window = leaders.partition_point(|&at| at < window);
            let first_visited = before_window.saturating_sub(BUCKET_VISITS);
            if let Some(own_leaders) = leaders_of_set.get(&own) {
                let k = own_leaders.partition_point(|&l| l < before_window);
                covered = k > 0 && own_leaders[k - 1] >= first_visited;
            }
        }
        if !covered {
            leaders_of_set.entry(own).or_default().push(leaders.len());
            leaders.push(start);
        }
        last_of_set.insert(own, start);
        start += 1;
    }
    for (position, &member) in members.iter().enumerate().skip(start) {
        let item = set_of(member);
        let own = sets.find(item);
        let mut covered = false;
        ranked.clear();
        let window = position.saturating_sub(BUCKET_VISITS);
        let older_leaders = leaders
            .iter()
            .rev()
            .skip_while(|&&at| at >= window)
            .take(BUCKET_VISITS);
        for at in (window..position).rev().chain(older_leaders.copied()) {
            let earlier = members[at];
            if sets.find(set_of(earlier)) == own {
                covered = true;
            } else if worth(earlier, member) {
                ranked.push((agreement(earlier, member), position - at, earlier));
            }
        }
        ranked.sort_unstable_by_key(|&(agreement, age, _)| (std::cmp::Reverse(agreement), age));
        for &(_, _, earlier) in ranked.iter().take(BUCKET_VERIFICATIONS) {
            // An earlier acceptance may have joined this one's set already.
            if sets.find(set_of(earlier)) == sets.find(item) {
                continue;
            }
            work.verifications += 1;
            if verify(earlier, member) {
                work.accepted += 1;
                sets.union(set_of(earlier), item);
                covered = true;
            }
        }
        if !covered {
            leaders.push(position);
        }
    }
    (work, leaders)
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

    #[test]
    fn a_large_bucket_costs_a_bounded_number_of_verifications() {
        let members: Vec<u32> = (0..3000).collect();
        let mut sets = UnionFind::new(members.len());
        let work = join_large_bucket(&members, &mut sets, |m| m, |_, _| false, |_, _| 1);
        assert_eq!(work.accepted, 0);
        assert!(work.verifications <= (members.len() * BUCKET_VERIFICATIONS) as u64);
        // Once joined, nothing is verified again.
        for m in 1..3000 {
            sets.union(0, m);
        }
        let again = join_large_bucket(&members, &mut sets, |m| m, |_, _| true, |_, _| 1);
        assert_eq!(again, BucketWork::default());
    }

    #[test]
    fn a_drift_chain_in_one_bucket_becomes_one_set() {
        // Each member is similar only to the two before and after it.
        let members: Vec<u32> = (0..5000).collect();
        let mut sets = UnionFind::new(members.len());
        let work = join_large_bucket(
            &members,
            &mut sets,
            |m| m,
            |a, b| a.abs_diff(b) <= 2,
            |_, _| 1,
        );
        assert!((1..5000).all(|m| sets.find(m) == 0));
        assert!(work.verifications <= 2 * 5000, "{work:?}");
    }

    #[test]
    fn partners_outside_the_recent_window_are_found_among_leaders_and_by_agreement() {
        // Member i is similar only to i + 400, which shares more bands with it than with any
        // other member: beyond the recent window, reached through the older leaders.
        let members: Vec<u32> = (0..800).collect();
        let mut sets = UnionFind::new(members.len());
        let partner = |a: u32, b: u32| a.abs_diff(b) == 400;
        let work = join_large_bucket(
            &members,
            &mut sets,
            |m| m,
            partner,
            |a, b| if partner(a, b) { 5 } else { 1 },
        );
        assert_eq!(work.accepted, 400, "{work:?}");
        assert!((0..400).all(|m| sets.find(m + 400) == m));
    }

    proptest! {
        // Each case runs two buckets of up to 1,200 members.
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn a_first_run_of_members_not_worth_verifying_is_joined_as_the_full_loop_joins_it(
            groups in proptest::collection::vec(0u32..400, 600..1200),
            indexed in 0usize..1200,
            similar in 1u32..4,
        ) {
            // Members before `indexed` are pre-joined by group and never verified with each
            // other; the fast path must find the same leaders as looking at every member.
            let members: Vec<u32> = (0..groups.len() as u32).collect();
            let indexed = indexed.min(members.len()) as u32;
            let setup = || {
                let mut sets = UnionFind::new(members.len());
                for a in 0..indexed {
                    for b in 0..a {
                        if groups[a as usize] == groups[b as usize] {
                            sets.union(b, a);
                            break;
                        }
                    }
                }
                sets
            };
            let verify = |a: u32, b: u32| groups[a as usize] % similar == groups[b as usize] % similar;
            let agreement = |a: u32, b: u32| (a ^ b) % 5;
            let mut fast = setup();
            let fast_work = join_and_lead(&members, &mut fast, |m| m, verify, agreement,
                |a, b| a.max(b) >= indexed);
            let mut slow = setup();
            // Worth the same pairs, but no member is excluded from itself: no fast path.
            let slow_work = join_and_lead(&members, &mut slow, |m| m, verify, agreement,
                |a, b| a == b || a.max(b) >= indexed);
            prop_assert_eq!(fast_work, slow_work);
            for m in 0..members.len() as u32 {
                prop_assert_eq!(fast.find(m), slow.find(m));
            }
        }
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
