//! Tree ensembles compiled for speed: every branch of every tree in one contiguous
//! array of small fixed-size nodes (threshold, feature, two child indices), leaves'
//! weights in another, and rows evaluated in blocks, tree by tree, so a tree's
//! nodes stay in cache while it scores the whole block. Nothing is allocated per
//! row: one score buffer per call.

use super::spec::{Aggregate, Branch, Child, Mode, Spec};

/// The top bit of a child reference marks a leaf.
const LEAF: u32 = 1 << 31;
/// Rows scored together, tree by tree (onnxruntime uses the same block size).
const BLOCK: usize = 128;

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

#[derive(Clone, Copy, Debug, PartialEq)]
struct Node<T> {
    threshold: T,
    feature: u32,
    yes: u32,
    no: u32,
    mode: Mode,
    missing_true: bool,
    /// Index into `sets` for a `Member` branch.
    set: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Forest<T> {
    nodes: Vec<Node<T>>,
    sets: Vec<Vec<T>>,
    roots: Vec<u32>,
    /// Each leaf's weights: `weights[start..start + len]`.
    leaves: Vec<(u32, u32)>,
    weights: Vec<(u32, T)>,
    /// The first weight of each leaf: single-target models add only that, as onnxruntime does.
    first: Vec<T>,
    /// Every branch compares the same way: the walk needs no per-node dispatch.
    same_mode: Option<Mode>,
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
        let mut sets = Vec::new();
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
                Node {
                    threshold: T::from_f64(b.threshold),
                    feature: b.feature.min(u32::MAX as usize) as u32,
                    yes: reference(b.yes),
                    no: reference(b.no),
                    mode: b.mode,
                    missing_true: b.missing_true,
                    set,
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
        for start in (0..rows).step_by(BLOCK) {
            let end = (start + BLOCK).min(rows);
            for &root in &self.roots {
                for r in start..end {
                    let leaf = self.walk(root, &x[r * cols..(r + 1) * cols]);
                    if self.n_targets == 1 {
                        self.add_single(leaf, &mut scores[r], &mut has[r]);
                    } else {
                        let k = self.n_targets;
                        self.add(leaf, &mut scores[r * k..(r + 1) * k], &mut has[r * k..(r + 1) * k]);
                    }
                }
            }
        }
    }

    /// Follows one tree to its leaf.
    #[inline]
    fn walk(&self, root: u32, row: &[T]) -> usize {
        match (self.same_mode, self.has_missing) {
            (Some(Mode::Leq), false) => self.walk_with(root, row, |x, t| x <= t),
            (Some(Mode::Lt), false) => self.walk_with(root, row, |x, t| x < t),
            _ => self.walk_any(root, row),
        }
    }

    #[inline(always)]
    fn walk_with(&self, mut at: u32, row: &[T], go: impl Fn(T, T) -> bool) -> usize {
        while at & LEAF == 0 {
            let n = &self.nodes[at as usize];
            at = if go(row[n.feature as usize], n.threshold) { n.yes } else { n.no };
        }
        (at & !LEAF) as usize
    }

    fn walk_any(&self, mut at: u32, row: &[T]) -> usize {
        while at & LEAF == 0 {
            let n = &self.nodes[at as usize];
            let x = row[n.feature as usize];
            let go = match n.mode {
                Mode::Leq => x <= n.threshold,
                Mode::Lt => x < n.threshold,
                Mode::Gte => x >= n.threshold,
                Mode::Gt => x > n.threshold,
                Mode::Eq => x == n.threshold,
                Mode::Neq => x != n.threshold,
                Mode::Member => self.sets[n.set as usize].contains(&x),
            } || (n.missing_true && x.is_nan());
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
