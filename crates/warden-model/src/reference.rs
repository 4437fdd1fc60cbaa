//! A model's reference sample (`[extraction] reference`): real inputs the
//! off-manifold detector compares queries with, as a NumPy `.npy` file (or a
//! `.npz` holding one array). Read by parsing the header and the raw numbers,
//! never by unpickling: an object array is a pickle and is refused.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The largest reference file read.
const MAX_FILE: u64 = 512 << 20;
/// The most rows kept.
pub const MAX_ROWS: usize = 100_000;

/// Rows × features, row-major, as f32.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceSample {
    pub path: PathBuf,
    pub rows: usize,
    pub features: usize,
    pub data: Vec<f32>,
}

/// Resolves `relative` against the model's directory: it must stay inside it.
pub fn resolve(model_dir: &Path, relative: &str) -> Result<PathBuf, String> {
    let p = Path::new(relative);
    if relative.is_empty() || p.is_absolute() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!(
            "reference = {relative:?}: a path inside the model's directory (no absolute path, no `..`)"
        ));
    }
    Ok(model_dir.join(p))
}

/// Reads a `.npy` or `.npz` file of a float matrix.
pub fn read(path: &Path) -> Result<ReferenceSample, String> {
    let name = path.display();
    // One open file judged and read: a link to a device or a FIFO is refused, and
    // no more than the limit is ever read.
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("{name}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{name}: not a regular file"));
    }
    if meta.len() > MAX_FILE {
        return Err(format!("{name}: {} bytes, over the limit of {MAX_FILE}", meta.len()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!("{name}: over the limit of {MAX_FILE} bytes"));
    }
    let npy =
        if bytes.starts_with(b"PK\x03\x04") { one_array(&bytes).map_err(|e| format!("{name}: {e}"))? } else { bytes };
    let (rows, features, data) = parse_npy(&npy).map_err(|e| format!("{name}: {e}"))?;
    Ok(ReferenceSample { path: path.to_path_buf(), rows, features, data })
}

/// The one `.npy` member of an `.npz` archive.
fn one_array(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("not a valid .npz: {e}"))?;
    let arrays: Vec<usize> =
        (0..zip.len()).filter(|&i| zip.by_index(i).is_ok_and(|f| f.name().ends_with(".npy"))).collect();
    let [only] = arrays.as_slice() else {
        return Err(format!("an .npz with {} arrays: the reference must be its only array", arrays.len()));
    };
    let mut entry = zip.by_index(*only).map_err(|e| format!("not a valid .npz: {e}"))?;
    let mut out = Vec::new();
    (&mut entry).take(MAX_FILE + 1).read_to_end(&mut out).map_err(|e| format!("not a valid .npz: {e}"))?;
    if out.len() as u64 > MAX_FILE {
        return Err(format!("its array is over the limit of {MAX_FILE} bytes"));
    }
    Ok(out)
}

/// The element types read, and their sizes.
fn dtype(descr: &str) -> Result<(usize, bool), String> {
    // (size, big-endian)
    match descr {
        "<f4" | "=f4" => Ok((4, false)),
        ">f4" => Ok((4, true)),
        "<f8" | "=f8" => Ok((8, false)),
        ">f8" => Ok((8, true)),
        "<f2" | "=f2" => Ok((2, false)),
        d if d.contains('O') => {
            Err("an object array is a pickle: refused (save floats: np.save(path, x.astype('float32')))".into())
        }
        d => Err(format!("dtype {d}: float16, float32 or float64 are read")),
    }
}

/// Parses version 1, 2 or 3 of the `.npy` format: magic, header length, a Python
/// dict literal with `descr`, `fortran_order` and `shape`, then the data.
fn parse_npy(bytes: &[u8]) -> Result<(usize, usize, Vec<f32>), String> {
    if !bytes.starts_with(b"\x93NUMPY") || bytes.len() < 10 {
        return Err("not a NumPy .npy file".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return Err(format!(".npy format version {v} is not read")),
    };
    let header = bytes.get(start..start + header_len).ok_or("the .npy header is truncated")?;
    let header = std::str::from_utf8(header).map_err(|_| "the .npy header is not text")?;
    let descr = field(header, "descr").ok_or("the .npy header has no descr")?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let (size, big) = dtype(descr)?;
    let fortran = field(header, "fortran_order").ok_or("the .npy header has no fortran_order")? == "True";
    let shape = field(header, "shape").ok_or("the .npy header has no shape")?;
    let dims: Vec<usize> = shape
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!("shape {shape}: not a shape")))
        .collect::<Result<_, _>>()?;
    let [rows, features] = dims[..] else {
        return Err(format!("shape {shape}: a matrix [rows, features] is needed"));
    };
    if rows == 0 || features == 0 || rows > MAX_ROWS {
        return Err(format!("shape {shape}: 1 to {MAX_ROWS} rows of at least one feature"));
    }
    let body = &bytes[start + header_len..];
    let expected = rows.checked_mul(features).and_then(|n| n.checked_mul(size)).ok_or("shape too large")?;
    if body.len() != expected {
        return Err(format!("shape {shape} needs {expected} bytes of data, the file holds {}", body.len()));
    }
    let mut data: Vec<f32> = body
        .chunks_exact(size)
        .map(|c| match (size, big) {
            (2, _) => half::f16::from_le_bytes([c[0], c[1]]).to_f32(),
            (4, false) => f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
            (4, true) => f32::from_be_bytes([c[0], c[1], c[2], c[3]]),
            (_, false) => f64::from_le_bytes(c.try_into().unwrap_or([0; 8])) as f32,
            (_, true) => f64::from_be_bytes(c.try_into().unwrap_or([0; 8])) as f32,
        })
        .collect();
    if fortran {
        // Column-major on disk: transpose to rows.
        let mut rowmajor = vec![0.0f32; data.len()];
        for (k, v) in data.iter().enumerate() {
            let (col, row) = (k / rows, k % rows);
            rowmajor[row * features + col] = *v;
        }
        data = rowmajor;
    }
    if data.iter().any(|v| !v.is_finite()) {
        return Err("the reference holds NaN or infinite values".into());
    }
    Ok((rows, features, data))
}

/// The value text of `'key': value` in the header's dict literal.
fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') { rest.find(')')? + 1 } else { rest.find([',', '}'])? };
    Some(rest[..end].trim())
}

/// Writes `data` (rows × features, row-major) as a version 1 `.npy` of float32:
/// for tests and the tools that make reference files.
pub fn write_npy(rows: usize, features: usize, data: &[f32]) -> Vec<u8> {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {features}), }}");
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    for v in data {
        out.extend(v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_numpy_writes_in_every_layout() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<f32> = (0..12).map(|v| v as f32 / 2.0).collect();
        let p = dir.path().join("r.npy");
        std::fs::write(&p, write_npy(4, 3, &data)).unwrap();
        let r = read(&p).unwrap();
        assert_eq!((r.rows, r.features, r.data.clone()), (4, 3, data.clone()));
        // float64, big-endian, Fortran order: the same matrix.
        let mut header = "{'descr': '>f8', 'fortran_order': True, 'shape': (4, 3), }".to_string();
        while !(10 + header.len() + 1).is_multiple_of(64) {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16).to_le_bytes());
        bytes.extend(header.as_bytes());
        for col in 0..3 {
            for row in 0..4 {
                bytes.extend(f64::from(data[row * 3 + col]).to_be_bytes());
            }
        }
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(read(&p).unwrap().data, data);
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.npy");
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"not numpy".to_vec(), "not a NumPy"),
            (write_npy(4, 3, &[0.0; 11]), "needs 48 bytes"),
            (
                write_npy(4, 3, &[0.0; 12]).iter().map(|b| if *b == b'f' { b'O' } else { *b }).collect(),
                "object array is a pickle",
            ),
            (write_npy(1, 3, &[f32::NAN, 0.0, 0.0]), "NaN"),
            (write_npy(4, 3, &[0.0; 12])[..20].to_vec(), "truncated"),
        ];
        for (bytes, says) in cases {
            std::fs::write(&p, bytes).unwrap();
            let e = read(&p).unwrap_err();
            assert!(e.contains(says) && e.contains("r.npy"), "{e}");
        }
        for bad in ["/etc/passwd", "../other/r.npy", "", "./r.npy"] {
            assert!(resolve(dir.path(), bad).is_err(), "{bad}");
        }
        assert_eq!(resolve(dir.path(), "data/r.npy").unwrap(), dir.path().join("data/r.npy"));
    }

    #[test]
    fn an_npz_must_hold_one_array() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.npz");
        let zip_of = |names: &[&str]| {
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            for n in names {
                w.start_file(*n, zip::write::SimpleFileOptions::default()).unwrap();
                w.write_all(&write_npy(2, 2, &[1.0, 2.0, 3.0, 4.0])).unwrap();
            }
            w.finish().unwrap().into_inner()
        };
        std::fs::write(&p, zip_of(&["x.npy"])).unwrap();
        assert_eq!(read(&p).unwrap().data, [1.0, 2.0, 3.0, 4.0]);
        std::fs::write(&p, zip_of(&["x.npy", "y.npy"])).unwrap();
        assert!(read(&p).unwrap_err().contains("2 arrays"));
    }
}
