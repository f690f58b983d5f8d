//! Renderers: terms and derivations as text, LaTeX, MathML, JSON and code.

pub mod components;
pub mod cse;
pub mod derivation;
pub mod jacobian;
pub mod json;
pub mod latex;
pub mod mathml;
pub mod numpy;
pub mod stats;
pub mod text;
