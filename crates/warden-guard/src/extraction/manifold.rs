//! The off-manifold signal: queries far from every row of a reference sample of
//! real inputs. Uniform random probing and Knockoff-style queries from another
//! distribution look nothing like the training data; an honest client's rows do.
//!
//! Calibration needs no tuning. Each reference row's distance to its nearest
//! other row (leave-one-out) is a draw from the distribution of "distance from a
//! real input to the sample"; a query is *far* when no reference row lies within
//! the `quantile` of those distances (0.99: an honest row is far with
//! probability about 1%). A client is flagged when at least `flag_at` of its
//! last `window` rows are far, where `flag_at` is the smallest count an honest
//! client reaches with probability at most `ALPHA` over a day: with `p` the far
//! rate (the estimate plus a margin for its sampling error), `X ~ Binomial(window,
//! p)` the far rows in one window, and the window judged after each of `M` rows a
//! day, the union bound gives P(flagged in a day) <= M * P(X >= flag_at) <= ALPHA.
//!
//! The sample is indexed by a ball tree, and the question asked per row is not
//! "how far is the nearest row" but "is any row within the threshold": a near row
//! stops the search at the first hit, and a far one prunes every ball farther
//! than the threshold, so both cases touch a handful of leaves.

use std::collections::VecDeque;

/// An honest client is flagged on a given day with probability at most this.
pub const ALPHA: f64 = 0.01;
/// Fewest reference rows: below this the quantile means little.
pub const MIN_ROWS: usize = 50;
/// Most reference rows (memory and start time stay bounded).
pub const MAX_ROWS: usize = 100_000;
/// Points per leaf of the tree.
const LEAF: usize = 16;

/// The reference sample, indexed and calibrated.
pub struct Reference {
    tree: BallTree,
    /// The distance beyond which a row is far, squared.
    far2: f32,
    /// The distance beyond which a row is far.
    pub threshold: f32,
    /// The share of reference rows far from the rest (leave-one-out), with the
    /// margin for its sampling error: the far rate an honest client is held to.
    pub honest_far_rate: f64,
    pub window: usize,
    /// Far rows among the last `window` that flag a client.
    pub flag_at: usize,
}

impl std::fmt::Debug for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reference")
            .field("rows", &self.tree.rows())
            .field("features", &self.tree.dims)
            .field("threshold", &self.threshold)
            .field("window", &self.window)
            .field("flag_at", &self.flag_at)
            .finish()
    }
}

impl PartialEq for Reference {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Reference {
    /// Indexes `data` (`rows` × `features`, row-major) and calibrates the threshold
    /// at `quantile` of the leave-one-out nearest-neighbour distances and the
    /// flagging count for `window` rows and `rows_per_day` judged a day.
    pub fn build(
        data: &[f32],
        features: usize,
        quantile: f64,
        window: usize,
        rows_per_day: u64,
    ) -> Result<Reference, String> {
        if features == 0 || !data.len().is_multiple_of(features) {
            return Err(format!("{} values are not rows of {features} features", data.len()));
        }
        let rows = data.len() / features;
        if !(MIN_ROWS..=MAX_ROWS).contains(&rows) {
            return Err(format!("{rows} reference rows: between {MIN_ROWS} and {MAX_ROWS} are needed"));
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err("the reference holds NaN or infinite values".into());
        }
        if !(0.5..1.0).contains(&quantile) {
            return Err(format!("reference_quantile = {quantile}: must be at least 0.5 and below 1"));
        }
        if !(10..=10_000).contains(&window) {
            return Err(format!("window = {window}: must be between 10 and 10000"));
        }
        let tree = BallTree::build(data.to_vec(), features);
        let mut loo = tree.leave_one_out();
        loo.sort_by(f32::total_cmp);
        // Nearest rank: at least `quantile` of the sample is at or below it.
        let rank = ((quantile * rows as f64).ceil() as usize).clamp(1, rows) - 1;
        let threshold = loo[rank];
        if threshold <= 0.0 {
            return Err(
                "most reference rows are duplicates of another: a sample of distinct real inputs is needed".into()
            );
        }
        let beyond = loo.iter().filter(|d| **d > threshold).count() as f64 / rows as f64;
        // The far share is estimated from `rows` draws: hold honest clients to its
        // estimate plus two standard errors.
        let p = (beyond + 2.0 * (beyond.max(1.0 - quantile) * quantile / rows as f64).sqrt()).min(1.0);
        let flag_at = flag_at(window, p, rows_per_day.max(1)).ok_or_else(|| {
            format!(
                "no count of far rows in a window of {window} keeps an honest client (far rate {p:.4}) under {ALPHA} a day: widen the window or raise reference_quantile"
            )
        })?;
        Ok(Reference { tree, far2: threshold * threshold, threshold, honest_far_rate: p, window, flag_at })
    }

    /// Whether no reference row lies within the threshold of `x`.
    pub fn is_far(&self, x: &[f32]) -> bool {
        x.len() != self.tree.dims || !self.tree.any_within(x, self.far2)
    }

    pub fn rows(&self) -> usize {
        self.tree.rows()
    }

    /// Bytes held: the points, the ball centres and radii, the node table.
    pub fn memory_bytes(&self) -> usize {
        self.tree.memory_bytes()
    }
}

/// The smallest `k` with `days_rows * P(Binomial(window, p) >= k) <= ALPHA`.
pub fn flag_at(window: usize, p: f64, rows_per_day: u64) -> Option<usize> {
    let tail = binomial_tails(window, p);
    (1..=window).find(|&k| rows_per_day as f64 * tail[k] <= ALPHA)
}

/// `tail[k] = P(X >= k)` for `X ~ Binomial(n, p)`, k in 0..=n+1, by the pmf
/// recurrence (no factorials: exact enough in f64 for n up to 10,000).
pub fn binomial_tails(n: usize, p: f64) -> Vec<f64> {
    let mut pmf = vec![0.0f64; n + 1];
    if p <= 0.0 {
        pmf[0] = 1.0;
    } else if p >= 1.0 {
        pmf[n] = 1.0;
    } else {
        // Start at the mode and walk both ways, normalising at the end, so no
        // term underflows before it matters.
        let mode = (((n + 1) as f64) * p).floor().min(n as f64) as usize;
        pmf[mode] = 1.0;
        let ratio = p / (1.0 - p);
        for j in mode..n {
            pmf[j + 1] = pmf[j] * ((n - j) as f64 / (j + 1) as f64) * ratio;
        }
        for j in (1..=mode).rev() {
            pmf[j - 1] = pmf[j] * (j as f64 / (n - j + 1) as f64) / ratio;
        }
        let total: f64 = pmf.iter().sum();
        pmf.iter_mut().for_each(|v| *v /= total);
    }
    let mut tail = vec![0.0f64; n + 2];
    for k in (0..=n).rev() {
        tail[k] = tail[k + 1] + pmf[k];
    }
    tail
}

/// One client's recent rows, far or not.
#[derive(Debug, Default)]
pub struct ManifoldWindow {
    far: VecDeque<bool>,
    count: usize,
}

impl ManifoldWindow {
    /// Records one row; returns the far share when the window holds enough far
    /// rows to flag. Judged from the first rows on: fewer rows than the window
    /// with `flag_at` far among them is at least as unlikely for an honest client.
    pub fn observe(&mut self, reference: &Reference, x: &[f32]) -> Option<f64> {
        let far = reference.is_far(x);
        if self.far.len() == reference.window && self.far.pop_front() == Some(true) {
            self.count -= 1;
        }
        self.far.push_back(far);
        self.count += usize::from(far);
        (self.count >= reference.flag_at).then(|| self.count as f64 / self.far.len() as f64)
    }
}

/// A ball tree over row-major points: each node a centre and the radius that
/// covers its points, split at the median of the widest feature.
struct BallTree {
    dims: usize,
    /// The points, reordered so each node's are contiguous.
    points: Vec<f32>,
    /// Each point's row in the input, for leave-one-out.
    order: Vec<u32>,
    nodes: Vec<Node>,
    /// Node centres, `dims` values each.
    centres: Vec<f32>,
    /// Node bounding boxes: `dims` lows then `dims` highs each. Real data has
    /// features that barely vary (a digit's border pixels are always 0); the box
    /// bound sees a probe that lights them up as far where the ball cannot.
    boxes: Vec<f32>,
}

struct Node {
    start: u32,
    end: u32,
    radius: f32,
    /// Children (`left`, `left + 1`), or 0 for a leaf.
    left: u32,
    depth: u32,
}

/// Down to this depth nodes are also judged by their bounding box.
const BOX_DEPTH: u32 = 3;

impl BallTree {
    fn build(data: Vec<f32>, dims: usize) -> BallTree {
        let rows = data.len() / dims;
        let mut tree = BallTree {
            dims,
            points: data,
            order: (0..rows as u32).collect(),
            nodes: Vec::with_capacity(2 * rows / LEAF + 1),
            centres: Vec::new(),
            boxes: Vec::new(),
        };
        tree.nodes.push(Node { start: 0, end: rows as u32, radius: 0.0, left: 0, depth: 0 });
        tree.centres.resize(dims, 0.0);
        tree.boxes.resize(2 * dims, 0.0);
        let mut stack = vec![0usize];
        while let Some(n) = stack.pop() {
            tree.bound(n);
            let (start, end) = (tree.nodes[n].start as usize, tree.nodes[n].end as usize);
            if end - start <= LEAF {
                continue;
            }
            let mid = tree.split(start, end);
            let left = tree.nodes.len();
            let depth = tree.nodes[n].depth + 1;
            tree.nodes.push(Node { start: start as u32, end: mid as u32, radius: 0.0, left: 0, depth });
            tree.nodes.push(Node { start: mid as u32, end: end as u32, radius: 0.0, left: 0, depth });
            tree.centres.resize(tree.nodes.len() * dims, 0.0);
            tree.boxes.resize(tree.nodes.len() * 2 * dims, 0.0);
            tree.nodes[n].left = left as u32;
            stack.extend([left, left + 1]);
        }
        tree
    }

    fn rows(&self) -> usize {
        self.order.len()
    }

    fn point(&self, i: usize) -> &[f32] {
        &self.points[i * self.dims..(i + 1) * self.dims]
    }

    fn centre(&self, n: usize) -> &[f32] {
        &self.centres[n * self.dims..(n + 1) * self.dims]
    }

    /// Sets node `n`'s centre (the mean) and radius (the farthest point).
    fn bound(&mut self, n: usize) {
        let (start, end, d) = (self.nodes[n].start as usize, self.nodes[n].end as usize, self.dims);
        let mut centre = vec![0.0f64; d];
        for i in start..end {
            for (c, v) in centre.iter_mut().zip(self.point(i)) {
                *c += f64::from(*v);
            }
        }
        let count = (end - start) as f64;
        let centre: Vec<f32> = centre.iter().map(|c| (c / count) as f32).collect();
        let radius = (start..end).map(|i| dist2(self.point(i), &centre)).fold(0.0f32, f32::max).sqrt();
        self.centres[n * d..(n + 1) * d].copy_from_slice(&centre);
        let (mut lo, mut hi) = (vec![f32::MAX; d], vec![f32::MIN; d]);
        for i in start..end {
            for (j, v) in self.point(i).iter().enumerate() {
                lo[j] = lo[j].min(*v);
                hi[j] = hi[j].max(*v);
            }
        }
        self.boxes[2 * n * d..(2 * n + 1) * d].copy_from_slice(&lo);
        self.boxes[(2 * n + 1) * d..(2 * n + 2) * d].copy_from_slice(&hi);
        // A hair more, so float rounding never prunes a point on the rim.
        self.nodes[n].radius = radius * (1.0 + 1e-5) + 1e-6;
    }

    /// Reorders points `start..end` around the median of their widest feature;
    /// returns where the second half starts.
    fn split(&mut self, start: usize, end: usize) -> usize {
        let d = self.dims;
        let widest = (0..d)
            .max_by(|&a, &b| {
                let spread = |j: usize| {
                    let (lo, hi) = (start..end).fold((f32::MAX, f32::MIN), |(lo, hi), i| {
                        let v = self.points[i * d + j];
                        (lo.min(v), hi.max(v))
                    });
                    hi - lo
                };
                spread(a).total_cmp(&spread(b))
            })
            .unwrap_or(0);
        let mut idx: Vec<usize> = (start..end).collect();
        let mid = idx.len() / 2;
        idx.select_nth_unstable_by(mid, |&a, &b| self.points[a * d + widest].total_cmp(&self.points[b * d + widest]));
        let points: Vec<f32> = idx.iter().flat_map(|&i| self.point(i).to_vec()).collect();
        let order: Vec<u32> = idx.iter().map(|&i| self.order[i]).collect();
        self.points[start * d..end * d].copy_from_slice(&points);
        self.order[start..end].copy_from_slice(&order);
        start + mid
    }

    /// Whether any point is within squared distance `r2` of `x`. A node is judged
    /// when its parent is opened (its centre's distance computed once), and only
    /// nodes whose ball reaches within `r` of `x` are pushed, the nearer last so
    /// it is searched first.
    fn any_within(&self, x: &[f32], r2: f32) -> bool {
        let r = r2.sqrt();
        // The box bound is tighter where features barely vary (a probe lighting up
        // a digit's always-dark border is far from every box), but costs as much as
        // the ball's: asked near the root only, where one answer prunes most of the
        // tree (measured: bench/BENCHMARKS.md).
        let reaches = |n: usize| -> Option<f32> {
            let node = &self.nodes[n];
            if node.depth <= BOX_DEPTH && self.box_dist2(x, n) > r2 {
                return None;
            }
            let d = dist2(x, self.centre(n)).sqrt();
            (d - node.radius <= r).then_some(d)
        };
        if reaches(0).is_none() {
            return false;
        }
        // Depth is at most about 2 log2(rows / LEAF): a fixed stack, no allocation.
        let mut stack = [0u32; 128];
        let mut top = 1;
        while top > 0 {
            top -= 1;
            let node = &self.nodes[stack[top] as usize];
            if node.left == 0 {
                if (node.start..node.end).any(|i| dist2(x, self.point(i as usize)) <= r2) {
                    return true;
                }
                continue;
            }
            let (a, b) = (node.left as usize, node.left as usize + 1);
            let (ra, rb) = (reaches(a), reaches(b));
            match (ra, rb) {
                (Some(da), Some(db)) => {
                    let (near, far) = if da <= db { (a, b) } else { (b, a) };
                    if top + 2 > stack.len() {
                        return self.any_within_slow(x, r2);
                    }
                    stack[top] = far as u32;
                    stack[top + 1] = near as u32;
                    top += 2;
                }
                (Some(_), None) | (None, Some(_)) => {
                    let only = if ra.is_some() { a } else { b };
                    if top + 1 > stack.len() {
                        return self.any_within_slow(x, r2);
                    }
                    stack[top] = only as u32;
                    top += 1;
                }
                (None, None) => {}
            }
        }
        false
    }

    /// The same answer by scanning every point: only for a tree deeper than the
    /// fixed stack, which the median split never builds.
    fn any_within_slow(&self, x: &[f32], r2: f32) -> bool {
        (0..self.rows()).any(|i| dist2(x, self.point(i)) <= r2)
    }

    /// Each point's distance to its nearest other point, by input row.
    fn leave_one_out(&self) -> Vec<f32> {
        let rows = self.rows();
        let mut out = vec![0.0f32; rows];
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
        let chunk = rows.div_ceil(threads);
        let found: Vec<Vec<(u32, f32)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        (t * chunk..((t + 1) * chunk).min(rows))
                            .map(|i| (self.order[i], self.nearest_other(i).sqrt()))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        for (row, d) in found.into_iter().flatten() {
            out[row as usize] = d;
        }
        out
    }

    /// The squared distance from stored point `i` to the nearest other one.
    fn nearest_other(&self, i: usize) -> f32 {
        let x = self.point(i);
        let mut best = f32::INFINITY;
        let mut stack = vec![0usize];
        while let Some(n) = stack.pop() {
            let node = &self.nodes[n];
            let gap = dist2(x, self.centre(n)).sqrt() - node.radius;
            if gap > 0.0 && gap * gap >= best {
                continue;
            }
            if node.left == 0 {
                for j in node.start as usize..node.end as usize {
                    if j != i {
                        best = best.min(dist2(x, self.point(j)));
                    }
                }
                continue;
            }
            let (a, b) = (node.left as usize, node.left as usize + 1);
            if dist2(x, self.centre(a)) < dist2(x, self.centre(b)) {
                stack.extend([b, a]);
            } else {
                stack.extend([a, b]);
            }
        }
        best
    }

    /// The squared distance from `x` to node `n`'s bounding box (0 inside it).
    fn box_dist2(&self, x: &[f32], n: usize) -> f32 {
        let d = self.dims;
        let lo = &self.boxes[2 * n * d..(2 * n + 1) * d];
        let hi = &self.boxes[(2 * n + 1) * d..(2 * n + 2) * d];
        x.iter()
            .zip(lo.iter().zip(hi))
            .map(|(v, (l, h))| {
                let gap = (l - v).max(v - h).max(0.0);
                gap * gap
            })
            .sum()
    }

    fn memory_bytes(&self) -> usize {
        (self.points.len() + self.order.len() + self.centres.len() + self.boxes.len()) * 4
            + self.nodes.len() * size_of::<Node>()
    }
}

/// Squared Euclidean distance, in chunks of eight the compiler vectorises.
fn dist2(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            let d = x[k] - y[k];
            acc[k] += d * d;
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        sum += (x - y) * (x - y);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic generator of normal draws (Box-Muller over an LCG).
    struct Gauss(u64);
    impl Gauss {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 11) as f64 + 0.5) / ((1u64 << 53) as f64)
        }
        fn normal(&mut self) -> f32 {
            let (u, v) = (self.uniform(), self.uniform());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        }
    }

    fn sample(g: &mut Gauss, rows: usize, dims: usize) -> Vec<f32> {
        (0..rows * dims).map(|_| g.normal()).collect()
    }

    #[test]
    fn the_tree_answers_as_brute_force_does() {
        let mut g = Gauss(7);
        let (rows, dims) = (700, 12);
        let data = sample(&mut g, rows, dims);
        let tree = BallTree::build(data.clone(), dims);
        let brute_nearest = |x: &[f32], skip: Option<usize>| {
            (0..rows)
                .filter(|&j| Some(j) != skip)
                .map(|j| dist2(x, &data[j * dims..(j + 1) * dims]))
                .fold(f32::MAX, f32::min)
        };
        let loo = tree.leave_one_out();
        for i in 0..rows {
            let want = brute_nearest(&data[i * dims..(i + 1) * dims], Some(i)).sqrt();
            assert!((loo[i] - want).abs() <= 1e-4 * want.max(1.0), "row {i}: {} vs {want}", loo[i]);
        }
        for _ in 0..300 {
            let x: Vec<f32> = (0..dims).map(|_| g.normal() * 1.5).collect();
            let nearest = brute_nearest(&x, None);
            for r2 in [nearest * 0.999, nearest * 1.001] {
                assert_eq!(tree.any_within(&x, r2), nearest <= r2, "r2 {r2} nearest {nearest}");
            }
        }
    }

    #[test]
    fn binomial_tails_match_the_closed_form() {
        let t = binomial_tails(100, 0.01);
        assert!((t[0] - 1.0).abs() < 1e-12);
        // P(X >= 1) = 1 - 0.99^100.
        assert!((t[1] - (1.0 - 0.99f64.powi(100))).abs() < 1e-12);
        // P(X = 100) = 0.01^100: still representable, and the tail ends at it.
        assert!(t[100] > 0.0 && t[101] == 0.0);
        let t = binomial_tails(10, 0.5);
        assert!((t[10] - 1.0 / 1024.0).abs() < 1e-15);
        assert!((t[5] - 638.0 / 1024.0).abs() < 1e-12);
    }

    #[test]
    fn the_flagging_count_keeps_honest_days_under_alpha() {
        // window 100, 1% far, 100,000 rows a day: P(X >= k) <= 1e-7.
        let k = flag_at(100, 0.01, 100_000).unwrap();
        let t = binomial_tails(100, 0.01);
        assert!(100_000.0 * t[k] <= ALPHA && 100_000.0 * t[k - 1] > ALPHA, "{k}");
        assert!((8..=12).contains(&k), "{k}");
        assert_eq!(flag_at(10, 0.9, 1_000_000), None);
    }

    /// Calibration: rows drawn from the reference's distribution are far about
    /// 1% of the time, and honest clients are not flagged; rows from elsewhere are.
    #[test]
    fn honest_rows_stay_near_and_uniform_probes_are_far() {
        let mut g = Gauss(11);
        let dims = 16;
        let reference = Reference::build(&sample(&mut g, 3000, dims), dims, 0.99, 100, 100_000).unwrap();
        let honest = sample(&mut g, 20_000, dims);
        let far = honest.chunks(dims).filter(|x| reference.is_far(x)).count() as f64 / 20_000.0;
        assert!(far < reference.honest_far_rate + 0.005, "{far} vs {}", reference.honest_far_rate);
        let mut flagged = 0;
        for client in honest.chunks(dims * 1000) {
            let mut w = ManifoldWindow::default();
            flagged += usize::from(client.chunks(dims).any(|x| w.observe(&reference, x).is_some()));
        }
        assert_eq!(flagged, 0);
        let mut w = ManifoldWindow::default();
        let probe = (0..300).position(|_| {
            let x: Vec<f32> = (0..dims).map(|_| (g.uniform() as f32 - 0.5) * 8.0).collect();
            w.observe(&reference, &x).is_some()
        });
        assert!(probe.is_some_and(|n| n < 100), "{probe:?}");
    }

    #[test]
    fn bad_references_are_refused() {
        assert!(Reference::build(&[0.5f32; 40 * 4], 4, 0.99, 100, 1000).unwrap_err().contains("between 50"));
        assert!(Reference::build(&[0.5f32; 64 * 4], 4, 0.99, 100, 1000).unwrap_err().contains("duplicates"));
        let mut g = Gauss(3);
        let mut data = sample(&mut g, 100, 4);
        assert!(Reference::build(&data, 3, 0.99, 100, 1000).unwrap_err().contains("rows of 3"));
        assert!(Reference::build(&data, 4, 1.0, 100, 1000).unwrap_err().contains("reference_quantile"));
        assert!(Reference::build(&data, 4, 0.99, 5, 1000).unwrap_err().contains("window"));
        data[7] = f32::NAN;
        assert!(Reference::build(&data, 4, 0.99, 100, 1000).unwrap_err().contains("NaN"));
    }
}
