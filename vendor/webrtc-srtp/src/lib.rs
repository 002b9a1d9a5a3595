#![warn(rust_2018_idioms)]
#![allow(dead_code)]

mod cipher;
pub mod config;
pub mod context;
mod error;
mod key_derivation;
pub mod option;
pub mod protection_profile;
pub mod session;
pub mod stream;

pub use error::Error;
