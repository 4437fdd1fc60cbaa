//! Extraction detection: deciding from a client's queries whether it is stealing
//! the model. Pure state machines; the server feeds them and acts on the verdict.

mod flags;
mod manifold;
mod normality;
mod prada;
mod signals;

pub use flags::{Flag, Flags, Response, flags_path, read_flags, update_flags};
pub use manifold::{ManifoldWindow, Reference, binomial_tails, flag_at};
pub use normality::shapiro_wilk;
pub use prada::{Prada, PradaConfig, Verdict};
pub use signals::{Signal, SignalConfig, Signals};
