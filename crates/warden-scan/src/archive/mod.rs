//! Containers: zip (PyTorch zip, npz), tar (PyTorch tar) and the limits that keep hostile
//! archives (bombs, deep nesting, endless members) from exhausting the scanner.

pub mod limit;
pub mod tar;
pub mod zipfile;
