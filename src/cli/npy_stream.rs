//! Draws files read a chunk at a time, so that `check` holds no more than a chunk of them.
//!
//! Files in C order with float64 or float32 elements (either byte order) are streamed; any other
//! file (Fortran order, an unusual header) is read whole by `sgbayes::problem::read_draws_array`,
//! which also words every error.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sgbayes::check::source::ChunkVisitor;
use sgbayes::check::{ChainDraws, DrawSource};
use sgbayes::error::{Error, Result};
use sgbayes::problem::read_draws_array;

/// Rows read per chunk.
const CHUNK_ROWS: usize = 4096;

/// One C-order file: where its data start and how its elements are stored.
#[derive(Debug, Clone)]
struct StreamedFile {
    path: PathBuf,
    data_offset: u64,
    chains: usize,
    element: Element,
}

#[derive(Debug, Clone, Copy)]
enum Element {
    F64 { little: bool },
    F32 { little: bool },
}

impl Element {
    fn size(self) -> usize {
        match self {
            Element::F64 { .. } => 8,
            Element::F32 { .. } => 4,
        }
    }

    fn decode(self, bytes: &[u8], out: &mut Vec<f64>) {
        out.clear();
        match self {
            Element::F64 { little } => out.extend(bytes.chunks_exact(8).map(|b| {
                let b: [u8; 8] = b.try_into().expect("8 bytes");
                if little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                }
            })),
            Element::F32 { little } => out.extend(bytes.chunks_exact(4).map(|b| {
                let b: [u8; 4] = b.try_into().expect("4 bytes");
                f64::from(if little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                })
            })),
        }
    }
}

/// The shape and layout of a C-order float .npy file, or `None` if it is anything else.
fn parse_header(path: &Path) -> Option<(u64, Vec<usize>, Element)> {
    let mut file = File::open(path).ok()?;
    let mut magic = [0u8; 10];
    file.read_exact(&mut magic).ok()?;
    if &magic[..6] != b"\x93NUMPY" {
        return None;
    }
    let (length, start) = match magic[6] {
        1 => (u16::from_le_bytes([magic[8], magic[9]]) as usize, 10u64),
        2 | 3 => {
            let mut rest = [0u8; 2];
            file.read_exact(&mut rest).ok()?;
            (
                u32::from_le_bytes([magic[8], magic[9], rest[0], rest[1]]) as usize,
                12u64,
            )
        }
        _ => return None,
    };
    let mut header = vec![0u8; length];
    file.read_exact(&mut header).ok()?;
    let header = String::from_utf8(header).ok()?;
    let field = |name: &str| -> Option<&str> {
        let at = header.find(&format!("'{name}':"))? + name.len() + 3;
        Some(header[at..].trim_start())
    };
    let descr = field("descr")?.strip_prefix('\'')?;
    let descr = &descr[..descr.find('\'')?];
    let element = match descr {
        "<f8" => Element::F64 { little: true },
        ">f8" => Element::F64 { little: false },
        "<f4" => Element::F32 { little: true },
        ">f4" => Element::F32 { little: false },
        _ => return None,
    };
    if !field("fortran_order")?.starts_with("False") {
        return None;
    }
    let shape = field("shape")?.strip_prefix('(')?;
    let shape: Vec<usize> = shape[..shape.find(')')?]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    let expected = shape.iter().product::<usize>() * element.size();
    let size = file.metadata().ok()?.len();
    (size == start + length as u64 + expected as u64).then_some((
        start + length as u64,
        shape,
        element,
    ))
}

/// Draws files as one source of `[chains, draws, D]`: streamed when every file is a C-order float
/// array, otherwise read whole.
pub(crate) enum DrawsFiles {
    Streamed(StreamedFiles),
    InMemory {
        values: Vec<f64>,
        chains: usize,
        draws: usize,
        dim: usize,
    },
}

impl DrawsFiles {
    /// Opens `paths` (chains of equal length, `d` values per draw).
    ///
    /// # Errors
    ///
    /// A message that says what the files hold and what was expected.
    pub(crate) fn open(paths: &[PathBuf], d: usize) -> std::result::Result<Self, String> {
        let mut streamed = Vec::new();
        for path in paths {
            let Some((data_offset, shape, element)) = parse_header(path) else {
                return Self::read_whole(paths, d);
            };
            let (chains, draws, dim) = match shape.as_slice() {
                [n, dim] => (1, *n, *dim),
                [c, n, dim] => (*c, *n, *dim),
                _ => return Self::read_whole(paths, d),
            };
            streamed.push((
                StreamedFile {
                    path: path.clone(),
                    data_offset,
                    chains,
                    element,
                },
                draws,
                dim,
            ));
        }
        let mut draws = None;
        let mut chains = 0;
        for (file, n, dim) in &streamed {
            check_shape(&file.path, file.chains, *n, *dim, d, &mut draws)?;
            chains += file.chains;
        }
        Ok(Self::Streamed(StreamedFiles {
            files: streamed.into_iter().map(|(f, _, _)| f).collect(),
            chains,
            draws: draws.unwrap_or(0),
            dim: d,
        }))
    }

    fn read_whole(paths: &[PathBuf], d: usize) -> std::result::Result<Self, String> {
        let mut values = Vec::new();
        let (mut chains, mut draws) = (0, None);
        for path in paths {
            let array = read_draws_array(path).map_err(|e| e.to_string())?;
            check_shape(
                path,
                array.chains,
                array.draws,
                array.dimension,
                d,
                &mut draws,
            )?;
            chains += array.chains;
            values.extend(array.values);
        }
        Ok(Self::InMemory {
            values,
            chains,
            draws: draws.unwrap_or(0),
            dim: d,
        })
    }

    /// The draws as a check source.
    ///
    /// # Errors
    ///
    /// The shape errors of [`ChainDraws::new`].
    pub(crate) fn source(&self) -> std::result::Result<Box<dyn DrawSource + '_>, String> {
        match self {
            Self::Streamed(files) => Ok(Box::new(files.clone())),
            Self::InMemory {
                values,
                chains,
                draws,
                dim,
            } => Ok(Box::new(
                ChainDraws::new(values, *chains, *draws, *dim).map_err(|e| e.to_string())?,
            )),
        }
    }
}

/// Checks one file's shape against the problem's dimension and the first file's length.
fn check_shape(
    path: &Path,
    chains: usize,
    n: usize,
    dim: usize,
    d: usize,
    draws: &mut Option<usize>,
) -> std::result::Result<(), String> {
    if dim != d {
        let transposed = if chains == 1 && n == d {
            format!(": it looks transposed ([{d}, {dim}]); save x.T")
        } else {
            String::new()
        };
        return Err(format!(
            "draws file {} has {dim} columns but the problem has dimension D = {d}; expected [draws, {d}] or [chains, draws, {d}]{transposed}",
            path.display(),
        ));
    }
    if *draws.get_or_insert(n) != n {
        return Err(format!(
            "draws file {} has {n} draws per chain but the first file has {}; give chains of equal length (or trim them with the same length)",
            path.display(),
            draws.unwrap_or(0)
        ));
    }
    Ok(())
}

/// C-order files read a chunk at a time.
#[derive(Debug, Clone)]
pub(crate) struct StreamedFiles {
    files: Vec<StreamedFile>,
    chains: usize,
    draws: usize,
    dim: usize,
}

impl DrawSource for StreamedFiles {
    fn chains(&self) -> usize {
        self.chains
    }

    fn draws(&self) -> usize {
        self.draws
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn for_each_chunk(&self, visit: &mut ChunkVisitor<'_>) -> Result<()> {
        let (draws, dim) = (self.draws, self.dim);
        let mut chain = 0;
        let mut bytes = Vec::new();
        let mut values = Vec::with_capacity(CHUNK_ROWS * dim);
        for file in &self.files {
            let io = |e: std::io::Error| {
                Error::Io(format!(
                    "cannot read draws file {}: {e}",
                    file.path.display()
                ))
            };
            let mut reader = BufReader::with_capacity(1 << 20, File::open(&file.path).map_err(io)?);
            reader.seek(SeekFrom::Start(file.data_offset)).map_err(io)?;
            let row_bytes = dim * file.element.size();
            for _ in 0..file.chains {
                let mut row = 0;
                while row < draws {
                    let rows = CHUNK_ROWS.min(draws - row);
                    bytes.resize(rows * row_bytes, 0);
                    reader.read_exact(&mut bytes).map_err(io)?;
                    file.element.decode(&bytes, &mut values);
                    visit(chain, row, &values)?;
                    row += rows;
                }
                chain += 1;
            }
        }
        Ok(())
    }
}
