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
