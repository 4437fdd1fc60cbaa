//! Tree ensembles compiled for speed: every branch of every tree in one contiguous
//! array of small fixed-size nodes (threshold, feature, two child indices), leaves'
//! weights in another, and rows evaluated in blocks, tree by tree, so a tree's
//! nodes stay in cache while it scores the whole block. Nothing is allocated per
//! row: one score buffer per call.

use super::spec::{Aggregate, Branch, Child, Mode, Spec};

/// The top bit of a child reference marks a leaf.
const LEAF: u32 = 1 << 31;
/// The top bit of a node's feature marks "a missing value takes the true branch".
const MISSING: u32 = 1 << 31;
/// Rows scored together, tree by tree (onnxruntime uses the same block size).
const BLOCK: usize = 128;
/// Rows walked through a tree together.
const LANES: usize = 8;

/// A threshold and score type: f32, or f64 for models exported in double.
pub trait Real:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Neg<Output = Self>
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
{
    const ZERO: Self;
    fn from_f64(v: f64) -> Self;
    fn to_f32(self) -> f32;
    fn to_f64(self) -> f64;
    fn is_nan(self) -> bool;
    fn div_usize(self, n: usize) -> Self;
}

impl Real for f32 {
    const ZERO: f32 = 0.0;
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    fn to_f32(self) -> f32 {
        self
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn div_usize(self, n: usize) -> f32 {
        self / n as f32
    }
}

impl Real for f64 {
    const ZERO: f64 = 0.0;
    fn from_f64(v: f64) -> f64 {
        v
    }
    fn to_f32(self) -> f32 {
        self as f32
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn div_usize(self, n: usize) -> f64 {
        self / n as f64
    }
}

/// What the walk reads at every step: 16 bytes in f32, four to a cache line.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Node<T> {
    threshold: T,
    /// The feature index, with `MISSING` set when NaN takes the true branch.
    feature: u32,
    yes: u32,
    no: u32,
}

/// What only the general walk reads (mixed modes, sets), kept out of the hot array.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rule {
    mode: Mode,
    /// Index into `sets` for a `Member` branch.
    set: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Forest<T> {
    nodes: Vec<Node<T>>,
    rules: Vec<Rule>,
    sets: Vec<Vec<T>>,
    roots: Vec<u32>,
    /// Each leaf's weights: `weights[start..start + len]`.
    leaves: Vec<(u32, u32)>,
    weights: Vec<(u32, T)>,
    /// The first weight of each leaf: single-target models add only that, as onnxruntime does.
    first: Vec<T>,
    /// Every branch compares the same way: the walk needs no per-node dispatch.
    same_mode: Option<Mode>,
    /// Some branch sends missing values to its true child.
    has_missing: bool,
    pub max_feature: Option<usize>,
    pub n_targets: usize,
    pub aggregate: Aggregate,
}

fn reference(c: Child) -> u32 {
    match c {
        Child::Branch(i) => i as u32,
        Child::Leaf(i) => i as u32 | LEAF,
    }
}

impl<T: Real> Forest<T> {
    /// Compiles a checked spec. Sizes beyond 2^31 nodes are refused by the caller's
    /// file-size limit long before this, but are checked anyway.
    pub fn compile(spec: &Spec) -> Result<Forest<T>, String> {
        if spec.branches.len() >= LEAF as usize || spec.leaves.len() >= LEAF as usize {
            return Err("too many nodes".into());
        }
        if spec.branches.iter().any(|b| b.feature >= MISSING as usize) {
            return Err("a feature index is beyond 2^31".into());
        }
        let mut sets = Vec::new();
        let mut rules = Vec::with_capacity(spec.branches.len());
        let nodes = spec
            .branches
            .iter()
            .map(|b: &Branch| {
                let set = if b.mode == Mode::Member {
                    sets.push(b.set.iter().map(|&v| T::from_f64(v)).collect());
                    (sets.len() - 1) as u32
                } else {
                    0
                };
                rules.push(Rule { mode: b.mode, set });
                Node {
                    threshold: T::from_f64(b.threshold),
                    feature: b.feature as u32 | if b.missing_true { MISSING } else { 0 },
                    yes: reference(b.yes),
                    no: reference(b.no),
                }
            })
            .collect::<Vec<_>>();
        let mut leaves = Vec::with_capacity(spec.leaves.len());
        let mut weights = Vec::new();
        let mut first = Vec::with_capacity(spec.leaves.len());
        for leaf in &spec.leaves {
            leaves.push((weights.len() as u32, leaf.len() as u32));
            first.push(leaf.first().map(|&(_, w)| T::from_f64(w)).unwrap_or(T::ZERO));
            weights.extend(leaf.iter().map(|&(t, w)| (t as u32, T::from_f64(w))));
        }
        let mode = spec.branches.first().map(|b| b.mode);
        let same_mode = mode.filter(|m| spec.branches.iter().all(|b| b.mode == *m));
        Ok(Forest {
            nodes,
            rules,
            sets,
            roots: spec.roots.iter().map(|&c| reference(c)).collect(),
            leaves,
            weights,
            first,
            same_mode,
            has_missing: spec.branches.iter().any(|b| b.missing_true),
            max_feature: spec.branches.iter().map(|b| b.feature).max(),
            n_targets: spec.n_targets,
            aggregate: spec.aggregate,
        })
    }

    /// Scores `rows` rows of `cols` features (`x` holds `rows * cols` values and
    /// every feature the trees read is below `cols`). `scores` gets
    /// `rows * n_targets` values and `has` whether any tree voted for each (min,
    /// max and the classifiers' binary rules depend on it).
    pub fn score(&self, x: &[T], rows: usize, cols: usize, scores: &mut [T], has: &mut [bool]) {
        scores.fill(T::ZERO);
        has.fill(false);
        let k = self.n_targets;
        match (k, self.aggregate) {
            (1, Aggregate::Sum | Aggregate::Average) => {
                let first = &self.first;
                self.walk_all(x, rows, cols, |r, leaf| scores[r] = scores[r] + first[leaf]);
            }
            (1, _) => self.walk_all(x, rows, cols, |r, leaf| self.add_single(leaf, &mut scores[r], &mut has[r])),
            _ => self.walk_all(x, rows, cols, |r, leaf| {
                self.add(leaf, &mut scores[r * k..(r + 1) * k], &mut has[r * k..(r + 1) * k])
            }),
        }
    }

    /// Walks every row down every tree, handing each (row, leaf) to `add`. The
    /// walk is chosen once per call, not per row. (Which walk suits which trees was
    /// measured, `bench/ml.sh`; the speed of each depends on inlining, hence the
    /// attributes.)
    #[inline(always)]
    fn walk_all(&self, x: &[T], rows: usize, cols: usize, add: impl FnMut(usize, usize)) {
        let row = |r: usize| &x[r * cols..(r + 1) * cols];
        match (self.same_mode, self.has_missing) {
            (Some(Mode::Leq), false) => self.walk_lanes_all(x, rows, cols, add, |x, t| x <= t),
            (Some(Mode::Lt), false) => self.walk_lanes_all(x, rows, cols, add, |x, t| x < t),
            (Some(mode @ (Mode::Leq | Mode::Lt)), true) => {
                let lt = mode == Mode::Lt;
                self.walk_each(rows, add, |root, r| self.walk_one_mode(root, row(r), lt))
            }
            _ => self.walk_each(rows, add, |root, r| self.walk_any(root, row(r))),
        }
    }

    /// Full, even trees without missing values (random forests, XGBoost): `LANES`
    /// rows walk a tree in lock-step. Each step is a load that depends on the one
    /// before, so interleaving independent walks lets their loads overlap.
    #[inline(always)]
    fn walk_lanes_all(
        &self,
        x: &[T],
        rows: usize,
        cols: usize,
        mut add: impl FnMut(usize, usize),
        go: impl Fn(T, T) -> bool + Copy,
    ) {
        let row = |r: usize| &x[r * cols..(r + 1) * cols];
        for start in (0..rows).step_by(BLOCK) {
            let end = (start + BLOCK).min(rows);
            for &root in &self.roots {
                let mut r = start;
                while r + LANES <= end {
                    let leaves = self.walk_lanes(root, std::array::from_fn(|i| row(r + i)), go);
                    for (i, leaf) in leaves.into_iter().enumerate() {
                        add(r + i, leaf);
                    }
                    r += LANES;
                }
                for r in r..end {
                    add(r, self.walk_one(root, row(r), go));
                }
            }
        }
    }

    /// Walks one row down one tree (the rows left over from the lanes).
    #[inline(never)]
    fn walk_one(&self, mut at: u32, row: &[T], go: impl Fn(T, T) -> bool) -> usize {
        while at & LEAF == 0 {
            let n = &self.nodes[at as usize];
            at = if go(row[n.feature as usize], n.threshold) { n.yes } else { n.no };
        }
        (at & !LEAF) as usize
    }

    /// Walks `LANES` rows down one tree. A lane that reached its leaf stays there
    /// (reading node 0 for nothing) rather than branching out of the loop, so the
    /// step compiles to selects.
    #[inline(always)]
    fn walk_lanes(&self, root: u32, rows: [&[T]; LANES], go: impl Fn(T, T) -> bool) -> [usize; LANES] {
        let mut at = [root; LANES];
        if root & LEAF == 0 {
            loop {
                let mut open = false;
                for (a, row) in at.iter_mut().zip(rows) {
                    let live = *a & LEAF == 0;
                    let n = &self.nodes[if live { *a as usize } else { 0 }];
                    let next = if go(row[n.feature as usize], n.threshold) { n.yes } else { n.no };
                    *a = if live { next } else { *a };
                    open |= live;
                }
                if !open {
                    break;
                }
            }
        }
        at.map(|a| (a & !LEAF) as usize)
    }

    /// Rows in blocks, tree by tree, so a tree's nodes stay in cache for the whole
    /// block; `walk(root, row)` finds the leaf.
    #[inline(always)]
    fn walk_each(&self, rows: usize, mut add: impl FnMut(usize, usize), walk: impl Fn(u32, usize) -> usize) {
        for start in (0..rows).step_by(BLOCK) {
            for &root in &self.roots {
                for r in start..(start + BLOCK).min(rows) {
                    add(r, walk(root, r));
                }
            }
        }
    }

    /// The walk when every branch compares the same way (`<=`, or `<` when `lt`:
    /// scikit-learn, XGBoost, LightGBM): it reads only the hot node array. Kept out
    /// of line: inlined into the block loop it measured about twice as slow.
    #[inline(never)]
    fn walk_one_mode(&self, mut at: u32, row: &[T], lt: bool) -> usize {
        while at & LEAF == 0 {
            let n = &self.nodes[at as usize];
            let x = row[(n.feature & !MISSING) as usize];
            // Written as one boolean, then one select: the same logic written as
            // `if below || missing` measured twice as slow (bench/ml.sh).
            let go = (if lt { x < n.threshold } else { x <= n.threshold }) || (n.feature & MISSING != 0 && x.is_nan());
            at = if go { n.yes } else { n.no };
        }
        (at & !LEAF) as usize
    }

    /// The walk for mixed modes and sets.
    fn walk_any(&self, mut at: u32, row: &[T]) -> usize {
        while at & LEAF == 0 {
            let (n, rule) = (&self.nodes[at as usize], &self.rules[at as usize]);
            let x = row[(n.feature & !MISSING) as usize];
            let go = match rule.mode {
                Mode::Leq => x <= n.threshold,
                Mode::Lt => x < n.threshold,
                Mode::Gte => x >= n.threshold,
                Mode::Gt => x > n.threshold,
                Mode::Eq => x == n.threshold,
                Mode::Neq => x != n.threshold,
                Mode::Member => self.sets[rule.set as usize].contains(&x),
            } || (n.feature & MISSING != 0 && x.is_nan());
            at = if go { n.yes } else { n.no };
        }
        (at & !LEAF) as usize
    }

    fn add_single(&self, leaf: usize, score: &mut T, has: &mut bool) {
        let w = self.first[leaf];
        *score = match self.aggregate {
            Aggregate::Sum | Aggregate::Average => *score + w,
            Aggregate::Min if *has && *score <= w => *score,
            Aggregate::Max if *has && *score >= w => *score,
            Aggregate::Min | Aggregate::Max => w,
        };
        if matches!(self.aggregate, Aggregate::Min | Aggregate::Max) {
            *has = true;
        }
    }

    fn add(&self, leaf: usize, scores: &mut [T], has: &mut [bool]) {
        let (start, len) = self.leaves[leaf];
        for &(t, w) in &self.weights[start as usize..(start + len) as usize] {
            let (s, h) = (&mut scores[t as usize], &mut has[t as usize]);
            *s = match self.aggregate {
                Aggregate::Sum | Aggregate::Average => *s + w,
                Aggregate::Min if *h && *s <= w => *s,
                Aggregate::Max if *h && *s >= w => *s,
                Aggregate::Min | Aggregate::Max => w,
            };
            *h = true;
        }
    }
}
