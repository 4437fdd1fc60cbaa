//! Extraction detection on the request path. Each classifier's answers feed a
//! PRADA detector per (identity, model); when one flags, the model's `[extraction]
//! action` decides what follows: a log line, an alert (metric and audit record),
//! or a lasting change for that client — labels only, a tight throttle, or a
//! block until an administrator runs `warden clients clear`. Lasting flags live in
//! `flags.json`, shared with the CLI.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use warden_guard::extraction::{
    Flag, Flags, Prada, PradaConfig, Reference, Response, Signal, SignalConfig, Signals, Verdict, read_flags,
    update_flags,
};
use warden_guard::limits::{Limit, Rate};
use warden_model::reference::ReferenceSample;
use warden_model::{DataType, Model, NamedTensor, Repository, TensorData};

use crate::filestamp::{Stamp, stamp};
use crate::output::label_output;

/// A model's detector settings.
#[derive(Clone, Debug)]
pub struct Setting {
    pub prada: PradaConfig,
    pub signals: SignalConfig,
    pub response: Response,
    pub throttle: Limit,
}

/// One client's detectors for one model.
struct Client {
    prada: Prada,
    signals: Signals,
}

/// Where a client stands with a model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Standing {
    Clear,
    Degraded,
    Throttled(Limit),
    Blocked,
}

/// (identity, model)
type ClientKey = (String, String);

/// Detectors kept at once; past that the least recently created go.
const MAX_CLIENTS: usize = 2_000;

pub struct Detection {
    /// Per model; replaced whole when models reload.
    settings: RwLock<HashMap<String, Arc<Setting>>>,
    detectors: Mutex<HashMap<ClientKey, Arc<Mutex<Client>>>>,
    started: std::time::Instant,
    flags: RwLock<Flags>,
    /// (identity, model) pairs already logged or alerted, so one attack is one alert.
    told: Mutex<HashSet<(String, String)>>,
    path: PathBuf,
    stamp: Mutex<Option<Stamp>>,
}

/// A flag raised by one request, for the caller to record.
pub struct Raised {
    pub response: Response,
    /// prada, sweep, out_of_range, volume or off_manifold.
    pub signal: &'static str,
    /// The value that flagged it (see `Flag::w`).
    pub w: f64,
    pub queries: u64,
}

impl Detection {
    /// Each model's settings from its `[extraction]`: PRADA by default for
    /// classifiers (a float matrix in, a label out), off for other models.
    pub fn new(repo: &Repository, path: PathBuf) -> Result<Detection, String> {
        let flags = read_flags(&path).map_err(|e| e.to_string())?;
        Ok(Detection {
            settings: RwLock::new(settings(repo)?),
            detectors: Mutex::new(HashMap::new()),
            flags: RwLock::new(flags),
            told: Mutex::new(HashSet::new()),
            started: std::time::Instant::now(),
            stamp: Mutex::new(stamp(&path)),
            path,
        })
    }

    /// Takes the settings of a reloaded set of models. Detectors of the models in
    /// `changed` start over: a new version may take other inputs.
    pub fn set_models(&self, repo: &Repository, changed: &HashSet<String>) -> Result<(), String> {
        let new = settings(repo)?;
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = new;
        self.detectors.lock().unwrap_or_else(|e| e.into_inner()).retain(|(_, model), _| !changed.contains(model));
        Ok(())
    }

    fn setting(&self, model: &str) -> Option<Arc<Setting>> {
        self.settings.read().unwrap_or_else(|e| e.into_inner()).get(model).cloned()
    }

    pub fn watches(&self, model: &str) -> bool {
        self.settings.read().unwrap_or_else(|e| e.into_inner()).contains_key(model)
    }

    pub fn standing(&self, identity: &str, model: &str) -> Standing {
        let flags = self.flags.read().unwrap_or_else(|e| e.into_inner());
        let Some(flag) = flags.get(identity).and_then(|m| m.get(model)) else { return Standing::Clear };
        match flag.response {
            Response::Block => Standing::Blocked,
            Response::Degrade => Standing::Degraded,
            Response::Throttle => match self.setting(model) {
                Some(s) => Standing::Throttled(s.throttle),
                None => Standing::Clear,
            },
            Response::Log | Response::Alert => Standing::Clear,
        }
    }

    /// Feeds one answered request to the client's detector; CPU work, run it off
    /// the reactor. Returns the flag when this request raised one.
    pub fn observe(
        &self,
        identity: &str,
        model: &Model,
        inputs: &[NamedTensor],
        outputs: &[NamedTensor],
    ) -> Option<Raised> {
        let setting = self.setting(&model.name)?;
        let rows = rows(model, inputs, outputs)?;
        let client = self.detector(identity, &model.name, &setting);
        let minute = self.started.elapsed().as_secs() / 60;
        let mut c = client.lock().unwrap_or_else(|e| e.into_inner());
        let mut found = None;
        for (x, class) in &rows {
            let verdict = c.prada.observe(x, *class);
            let signal = c.signals.observe(x, minute);
            if found.is_none() {
                found = match (verdict, signal) {
                    (Verdict::Attack { w }, _) => Some(("prada", w)),
                    (
                        _,
                        Some(
                            s
                            @ (Signal::Sweep { share } | Signal::OutOfRange { share } | Signal::OffManifold { share }),
                        ),
                    ) => Some((s.name(), share)),
                    (_, Some(s @ Signal::Volume { per_minute, baseline })) => {
                        Some((s.name(), per_minute as f64 / baseline.max(1.0)))
                    }
                    _ => None,
                };
            }
        }
        let (signal, w) = found?;
        let key = (identity.to_string(), model.name.clone());
        if !self.told.lock().unwrap_or_else(|e| e.into_inner()).insert(key) {
            return None;
        }
        let queries = c.prada.queries();
        drop(c);
        if setting.response.lasts() {
            let flag = Flag { response: setting.response, signal: signal.into(), w, queries, since: unix_now() };
            let (identity, name) = (identity.to_string(), model.name.clone());
            let written = update_flags(&self.path, |f| {
                f.entry(identity.clone()).or_default().insert(name.clone(), flag.clone());
                f.clone()
            });
            match written {
                Ok(all) => *self.flags.write().unwrap_or_else(|e| e.into_inner()) = all,
                Err(e) => {
                    tracing::error!(error = %e, "cannot save an extraction flag; it holds until restart");
                    self.flags
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(identity)
                        .or_default()
                        .insert(name, flag);
                }
            }
        }
        Some(Raised { response: setting.response, signal, w, queries })
    }

    fn detector(&self, identity: &str, model: &str, setting: &Setting) -> Arc<Mutex<Client>> {
        let key = (identity.to_string(), model.to_string());
        let mut map = self.detectors.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_CLIENTS
            && !map.contains_key(&key)
            && let Some(k) = map.keys().next().cloned()
        {
            map.remove(&k);
        }
        map.entry(key)
            .or_insert_with(|| {
                let client =
                    Client { prada: Prada::new(setting.prada), signals: Signals::new(setting.signals.clone()) };
                Arc::new(Mutex::new(client))
            })
            .clone()
    }

    /// Re-reads `flags.json` after `warden clients clear`; a cleared client starts
    /// with a fresh detector. Returns the (identity, model) pairs cleared.
    pub fn reload_if_changed(&self) -> Vec<(String, String)> {
        let now = stamp(&self.path);
        {
            let mut last = self.stamp.lock().unwrap_or_else(|e| e.into_inner());
            if *last == now {
                return Vec::new();
            }
            *last = now;
        }
        let fresh = match read_flags(&self.path) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "flags file changed but cannot be read; keeping the previous flags");
                return Vec::new();
            }
        };
        let mut flags = self.flags.write().unwrap_or_else(|e| e.into_inner());
        let cleared: Vec<(String, String)> = flags
            .iter()
            .flat_map(|(i, models)| models.keys().map(move |m| (i.clone(), m.clone())))
            .filter(|(i, m)| fresh.get(i).and_then(|ms| ms.get(m)).is_none())
            .collect();
        *flags = fresh;
        drop(flags);
        let mut detectors = self.detectors.lock().unwrap_or_else(|e| e.into_inner());
        let mut told = self.told.lock().unwrap_or_else(|e| e.into_inner());
        for key in &cleared {
            tracing::info!(model = %key.1, "extraction flag cleared");
            detectors.remove(key);
            told.remove(key);
        }
        cleared
    }

    /// What each detector knows, for `warden clients list`.
    pub fn snapshot(&self) -> Vec<ClientState> {
        let detectors = self.detectors.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<ClientState> = detectors
            .iter()
            .map(|((identity, model), d)| {
                let client = d.lock().unwrap_or_else(|e| e.into_inner());
                let d = &client.prada;
                let (state, w) = match d.verdict() {
                    Verdict::Learning => ("learning", None),
                    Verdict::Benign { w } => ("benign", Some(w)),
                    Verdict::Attack { w } => ("attack", Some(w)),
                };
                ClientState { identity: identity.clone(), model: model.clone(), queries: d.queries(), state, w }
            })
            .collect();
        all.sort_by(|a, b| (&a.identity, &a.model).cmp(&(&b.identity, &b.model)));
        all
    }
}

#[derive(Serialize)]
pub struct ClientState {
    pub identity: String,
    pub model: String,
    pub queries: u64,
    pub state: &'static str,
    pub w: Option<f64>,
}

/// Each model's settings from its `[extraction]`: PRADA by default for
/// classifiers (a float matrix in, a label out), off for other models.
fn settings(repo: &Repository) -> Result<HashMap<String, Arc<Setting>>, String> {
    let mut settings = HashMap::new();
    for entry in repo.entries() {
        let Some(model) = entry.latest() else { continue };
        if let Some(setting) = setting_for(model)? {
            settings.insert(model.name.clone(), Arc::new(setting));
        }
    }
    Ok(settings)
}

/// One model's settings; the error names the model.
pub fn setting_for(model: &Model) -> Result<Option<Setting>, String> {
    own_setting(model).map_err(|e| format!("model {}: [extraction]: {e}", model.name))
}

fn own_setting(model: &Model) -> Result<Option<Setting>, String> {
    let config = model.config.extraction.clone().unwrap_or_default();
    let classifier = is_classifier(model);
    if config.reference.is_some() && (config.detector.as_deref() == Some("off") || !classifier) {
        return Err("reference needs the detector, which runs on classifiers (a float input [batch, features] and one label output) with detector = \"prada\"".into());
    }
    match config.detector.as_deref() {
        Some("off") => return Ok(None),
        None if !classifier => return Ok(None),
        None | Some("prada") => {}
        Some(other) => return Err(format!("detector '{other}' is not one of prada, off")),
    }
    if !classifier {
        return Err("prada needs a classifier: a float input of shape [batch, features] and one label output".into());
    }
    let mut prada = PradaConfig::default();
    if let Some(delta) = config.delta {
        if !(0.0..1.0).contains(&delta) {
            return Err(format!("delta = {delta}: must be between 0 and 1"));
        }
        prada.delta = delta;
    }
    if let Some(n) = config.min_queries {
        if n < 10 {
            return Err("min_queries must be at least 10".into());
        }
        prada.min_queries = n;
    }
    let response = Response::parse(config.action.as_deref().unwrap_or("alert"))?;
    let rate = Rate::parse(config.throttle_rate.as_deref().unwrap_or("1/s"))?;
    let signals = signal_config(model, &config)?;
    Ok(Some(Setting { prada, signals, response, throttle: Limit { rate, burst: 1 } }))
}

/// The simple signals' settings, checked against the model's input width.
fn signal_config(model: &Model, config: &warden_model::ExtractionConfig) -> Result<SignalConfig, String> {
    let mut signals = SignalConfig {
        min: config.input_min.as_ref().map(|b| b.to_vec()),
        max: config.input_max.as_ref().map(|b| b.to_vec()),
        ..SignalConfig::default()
    };
    let features = match model.inputs[0].shape.get(1) {
        Some(warden_model::Dim::Fixed(n)) => Some(*n),
        _ => None,
    };
    for (name, bounds) in [("input_min", &signals.min), ("input_max", &signals.max)] {
        if let (Some(b), Some(n)) = (bounds, features)
            && b.len() != 1
            && b.len() != n
        {
            return Err(format!("{name} has {} values; the model has {n} features (or give one number)", b.len()));
        }
    }
    for (name, share, slot) in [
        ("out_of_range_share", config.out_of_range_share, &mut signals.out_of_range_share),
        ("sweep_share", config.sweep_share, &mut signals.sweep_share),
    ] {
        if let Some(v) = share {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} = {v}: must be between 0 and 1"));
            }
            *slot = v;
        }
    }
    if let Some(f) = config.volume_factor {
        if f < 2.0 {
            return Err(format!("volume_factor = {f}: must be at least 2"));
        }
        signals.volume_factor = f;
    }
    if let Some(n) = config.volume_floor {
        signals.volume_floor = n;
    }
    if let Some(w) = config.window {
        if !(10..=10_000).contains(&w) {
            return Err(format!("window = {w}: must be between 10 and 10000"));
        }
        signals.window = w;
    }
    let tuned = config.reference_quantile.is_some() || config.reference_rows_per_day.is_some();
    match &model.reference {
        Some(sample) => signals.reference = Some(reference_index(sample, config, signals.window)?),
        None if tuned => return Err("reference_quantile and reference_rows_per_day need a reference".into()),
        None => {}
    }
    Ok(signals)
}

/// Indexes and calibrates a model's reference sample, once per loaded sample:
/// settings are rebuilt on every reload, the index only when the sample is new.
fn reference_index(
    sample: &Arc<ReferenceSample>,
    config: &warden_model::ExtractionConfig,
    window: usize,
) -> Result<Arc<Reference>, String> {
    type Cache = Mutex<HashMap<usize, (Weak<ReferenceSample>, (Option<f64>, Option<u64>, usize), Arc<Reference>)>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let key = Arc::as_ptr(sample) as usize;
    let tuning = (config.reference_quantile, config.reference_rows_per_day, window);
    let cache = CACHE.get_or_init(Default::default);
    if let Some((weak, t, built)) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key)
        && weak.upgrade().is_some_and(|s| Arc::ptr_eq(&s, sample))
        && *t == tuning
    {
        return Ok(built.clone());
    }
    let built = Arc::new(
        Reference::build(
            &sample.data,
            sample.features,
            config.reference_quantile.unwrap_or(0.99),
            window,
            config.reference_rows_per_day.unwrap_or(100_000),
        )
        .map_err(|e| format!("reference {}: {e}", sample.path.display()))?,
    );
    tracing::info!(
        reference = %sample.path.display(),
        rows = built.rows(),
        threshold = built.threshold,
        honest_far_rate = built.honest_far_rate,
        flag_at = built.flag_at,
        window = built.window,
        memory_bytes = built.memory_bytes(),
        "off-manifold reference indexed"
    );
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache.retain(|_, (weak, _, _)| weak.strong_count() > 0);
    cache.insert(key, (Arc::downgrade(sample), tuning, built.clone()));
    Ok(built)
}

fn is_classifier(model: &Model) -> bool {
    let input_ok =
        model.inputs.first().is_some_and(|i| matches!(i.datatype, DataType::F32 | DataType::F64) && i.shape.len() == 2);
    input_ok && label_output(model).is_some()
}

/// (input row, predicted class) for each row of an answered request.
fn rows(model: &Model, inputs: &[NamedTensor], outputs: &[NamedTensor]) -> Option<Vec<(Vec<f32>, i64)>> {
    let input = inputs.first()?;
    let label = outputs.get(label_output(model)?)?;
    let width = *input.shape.get(1)?;
    let features: Vec<f32> = match &input.data {
        TensorData::F32(v) => v.clone(),
        TensorData::F64(v) => v.iter().map(|x| *x as f32).collect(),
        _ => return None,
    };
    let classes: Vec<i64> = match &label.data {
        TensorData::I64(v) => v.clone(),
        TensorData::I32(v) => v.iter().map(|x| i64::from(*x)).collect(),
        TensorData::Bytes(v) => {
            v.iter().map(|b| b.iter().fold(0i64, |h, c| h.wrapping_mul(31).wrapping_add(i64::from(*c)))).collect()
        }
        _ => return None,
    };
    Some(features.chunks(width.max(1)).zip(classes).map(|(x, c)| (x.to_vec(), c)).collect())
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
