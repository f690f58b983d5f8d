//! Renderers: terms and derivations as text, LaTeX, JSON and code.

pub mod numpy;
pub mod text;
