//! xz decoding through liblzma loaded with `dlopen` on first use, so that no tool binary links it.
//!
//! Most runs of the tools never read a `.ko.xz` file, yet a linked liblzma is opened, mapped and
//! relocated by the dynamic loader at every start. kmod 34 does the same as this module: it opens
//! its decompression libraries when first needed, and a missing library means that compression
//! cannot be read (`ENOSYS`, [`Error::DecompressorUnavailable`]).
//!
//! Only the public, stable liblzma 5 ABI is used: `lzma_stream` (zero-initialised is
//! `LZMA_STREAM_INIT`), `lzma_stream_decoder`, `lzma_code`, `lzma_memusage` and `lzma_end`. The
//! library is opened once per process and never closed. This is the only module of the crate with
//! `unsafe` code, all of it at that boundary. The binaries name the library in a `.note.dlopen`
//! ELF note (`dlopen_note`) for packaging and initramfs tools, which cannot see it with `ldd`.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::Path;
use std::sync::OnceLock;

use crate::compression::Compression;
use crate::error::Error;

/// The soname loaded: liblzma's ABI has been stable (version 5) since 2010.
pub(crate) const LIBLZMA: &CStr = c"liblzma.so.5";

/// `lzma_ret` values (an `enum` in C, so an `int`).
const LZMA_OK: c_int = 0;
const LZMA_STREAM_END: c_int = 1;
const LZMA_UNSUPPORTED_CHECK: c_int = 3;
const LZMA_MEM_ERROR: c_int = 5;
const LZMA_MEMLIMIT_ERROR: c_int = 6;
const LZMA_FORMAT_ERROR: c_int = 7;
const LZMA_OPTIONS_ERROR: c_int = 8;
const LZMA_DATA_ERROR: c_int = 9;
const LZMA_BUF_ERROR: c_int = 10;
const LZMA_PROG_ERROR: c_int = 11;

/// `lzma_action` values: more input may follow / all input has been given.
const LZMA_RUN: c_int = 0;
const LZMA_FINISH: c_int = 3;

/// `lzma_stream_decoder` flags: `LZMA_CONCATENATED`, as kmod decodes: a file of several xz
/// streams (`cat a.xz b.xz`), or one followed by stream padding (zero bytes in groups of four),
/// decodes to the streams' contents one after the other; any other data after a stream is an
/// error. (kmod 30's modinfo reads such a `.ko.xz`.)
const DECODER_FLAGS: u32 = 0x08;

/// `lzma_stream` from `<lzma/base.h>`, field for field.
#[repr(C)]
struct LzmaStream {
    next_in: *const u8,
    avail_in: usize,
    total_in: u64,
    next_out: *mut u8,
    avail_out: usize,
    total_out: u64,
    allocator: *const c_void,
    internal: *mut c_void,
    reserved_ptr1: *mut c_void,
    reserved_ptr2: *mut c_void,
    reserved_ptr3: *mut c_void,
    reserved_ptr4: *mut c_void,
    seek_pos: u64,
    reserved_int2: u64,
    reserved_int3: usize,
    reserved_int4: usize,
    reserved_enum1: c_int,
    reserved_enum2: c_int,
}

impl LzmaStream {
    /// `LZMA_STREAM_INIT`: everything zero or null.
    const INIT: LzmaStream = LzmaStream {
        next_in: std::ptr::null(),
        avail_in: 0,
        total_in: 0,
        next_out: std::ptr::null_mut(),
        avail_out: 0,
        total_out: 0,
        allocator: std::ptr::null(),
        internal: std::ptr::null_mut(),
        reserved_ptr1: std::ptr::null_mut(),
        reserved_ptr2: std::ptr::null_mut(),
        reserved_ptr3: std::ptr::null_mut(),
        reserved_ptr4: std::ptr::null_mut(),
        seek_pos: 0,
        reserved_int2: 0,
        reserved_int3: 0,
        reserved_int4: 0,
        reserved_enum1: 0,
        reserved_enum2: 0,
    };
}

/// `lzma_ret lzma_stream_decoder(lzma_stream *strm, uint64_t memlimit, uint32_t flags)`.
type StreamDecoderFn = unsafe extern "C" fn(*mut LzmaStream, u64, u32) -> c_int;
/// `lzma_ret lzma_code(lzma_stream *strm, lzma_action action)`.
type CodeFn = unsafe extern "C" fn(*mut LzmaStream, c_int) -> c_int;
/// `uint64_t lzma_memusage(const lzma_stream *strm)`.
type MemusageFn = unsafe extern "C" fn(*const LzmaStream) -> u64;
/// `void lzma_end(lzma_stream *strm)`.
type EndFn = unsafe extern "C" fn(*mut LzmaStream);

/// The liblzma functions used, resolved from a library that stays loaded.
#[derive(Debug)]
struct Liblzma {
    stream_decoder: StreamDecoderFn,
    code: CodeFn,
    memusage: MemusageFn,
    end: EndFn,
}

/// Why a library could not be used: the soname and the loader's message.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LoadError {
    library: String,
    reason: String,
}

impl LoadError {
    /// The error for decompressing `path` without the library.
    fn unavailable(&self, path: &Path) -> Error {
        Error::DecompressorUnavailable {
            path: path.to_path_buf(),
            compression: Compression::Xz,
            library: self.library.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// The process's liblzma, loaded on the first call; later calls (from any thread) reuse it, or
/// the same failure.
fn liblzma() -> Result<&'static Liblzma, &'static LoadError> {
    static LIB: OnceLock<Result<Liblzma, LoadError>> = OnceLock::new();
    LIB.get_or_init(|| load(LIBLZMA)).as_ref()
}

/// Opens `soname` with `dlopen` (never closed) and resolves the functions this module calls.
fn load(soname: &CStr) -> Result<Liblzma, LoadError> {
    let fail = |reason: String| LoadError {
        library: soname.to_string_lossy().into_owned(),
        reason,
    };
    // SAFETY: `soname` is a NUL-terminated string that outlives the call. Loading runs the
    // library's initialisers; liblzma's only set up its own internal tables. The handle is
    // never passed to `dlclose`, so the functions resolved from it stay valid for the life of
    // the process.
    let handle = unsafe { libc::dlopen(soname.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return Err(fail(last_dl_error()));
    }
    let symbol = |name: &CStr| -> Result<*mut c_void, LoadError> {
        // SAFETY: `handle` is a live handle from `dlopen` above and `name` is NUL-terminated.
        let address = unsafe { libc::dlsym(handle, name.as_ptr()) };
        if address.is_null() {
            Err(fail(format!(
                "no {}: {}",
                name.to_string_lossy(),
                last_dl_error()
            )))
        } else {
            Ok(address)
        }
    };
    let stream_decoder = symbol(c"lzma_stream_decoder")?;
    let code = symbol(c"lzma_code")?;
    let memusage = symbol(c"lzma_memusage")?;
    let end = symbol(c"lzma_end")?;
    // SAFETY: each address is the non-null address of the liblzma 5 function of that name, whose
    // C prototype (`<lzma/container.h>`, `<lzma/base.h>`) is the one the target type spells out
    // with C types of the same size and calling convention. Data and function pointers have the
    // same size on every platform with `dlsym`.
    unsafe {
        Ok(Liblzma {
            stream_decoder: std::mem::transmute::<*mut c_void, StreamDecoderFn>(stream_decoder),
            code: std::mem::transmute::<*mut c_void, CodeFn>(code),
            memusage: std::mem::transmute::<*mut c_void, MemusageFn>(memusage),
            end: std::mem::transmute::<*mut c_void, EndFn>(end),
        })
    }
}

/// The message of the last failed `dlopen`/`dlsym` of this thread.
fn last_dl_error() -> String {
    // SAFETY: `dlerror` returns null or a NUL-terminated string that stays valid until the next
    // `dl*` call of this thread; it is copied before any other call.
    unsafe {
        let message: *const c_char = libc::dlerror();
        if message.is_null() {
            "unknown dynamic loader error".to_owned()
        } else {
            CStr::from_ptr(message).to_string_lossy().into_owned()
        }
    }
}

/// An initialised decoder; dropping it frees liblzma's state.
struct Decoder<'lib> {
    lib: &'lib Liblzma,
    stream: LzmaStream,
}

impl Drop for Decoder<'_> {
    fn drop(&mut self) {
        // SAFETY: `stream` is either still `LZMA_STREAM_INIT` (lzma_end does nothing then) or
        // was set up by `lzma_stream_decoder` through this same struct and not freed yet.
        unsafe { (self.lib.end)(&mut self.stream) }
    }
}

/// Decompresses the xz streams of `input` (liblzma's stream decoder, [`DECODER_FLAGS`], dictionary
/// memory within `memlimit`), producing at most `cap` bytes: when the output reaches `cap`,
/// decoding stops there and the caller decides whether that is too much.
///
/// `initial_capacity` is the first size of the output buffer, which then grows as needed.
/// Fails with [`Error::DecompressorUnavailable`] when liblzma cannot be loaded, and with
/// [`Error::Decompress`] (`truncated` when the input ends inside the stream) otherwise.
pub(crate) fn decompress_xz(
    path: &Path,
    input: &[u8],
    memlimit: u64,
    cap: u64,
    initial_capacity: usize,
) -> Result<Vec<u8>, Error> {
    let lib = liblzma().map_err(|e| e.unavailable(path))?;
    decode(lib, path, input, memlimit, cap, initial_capacity)
}

/// [`decompress_xz`] with a given library.
fn decode(
    lib: &Liblzma,
    path: &Path,
    input: &[u8],
    memlimit: u64,
    cap: u64,
    initial_capacity: usize,
) -> Result<Vec<u8>, Error> {
    let failed = |problem: String, truncated: bool| Error::Decompress {
        path: path.to_path_buf(),
        compression: Compression::Xz,
        problem,
        truncated,
    };
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::new();
    out.try_reserve_exact(initial_capacity.min(cap))
        .map_err(|_| failed(no_memory_for(initial_capacity), false))?;

    // The stream is not moved between `lzma_stream_decoder` and `lzma_end`: it stays inside
    // `decoder`, a local of this function.
    let mut decoder = Decoder {
        lib,
        stream: LzmaStream::INIT,
    };
    // SAFETY: `decoder.stream` is `LZMA_STREAM_INIT`, as `lzma_stream_decoder` requires of a
    // stream it has not set up before; the pointer is valid for the call.
    let ret = unsafe { (lib.stream_decoder)(&mut decoder.stream, memlimit, DECODER_FLAGS) };
    if ret != LZMA_OK {
        return Err(failed(
            format!("cannot start the decoder ({})", ret_name(ret)),
            false,
        ));
    }
    decoder.stream.next_in = input.as_ptr();
    decoder.stream.avail_in = input.len();

    loop {
        if out.len() >= cap {
            return Ok(out);
        }
        if out.len() == out.capacity() {
            let grow = out.len().max(4096).min(cap - out.len());
            out.try_reserve_exact(grow)
                .map_err(|_| failed(no_memory_for(out.len().saturating_add(grow)), false))?;
        }
        let room = (out.capacity() - out.len()).min(cap - out.len());
        let (in_before, len_before) = (decoder.stream.avail_in, out.len());
        decoder.stream.next_out = out.spare_capacity_mut().as_mut_ptr().cast::<u8>();
        decoder.stream.avail_out = room;
        // As xz2's reader did: RUN while input is left, FINISH once all of it has been consumed.
        let action = if decoder.stream.avail_in == 0 {
            LZMA_FINISH
        } else {
            LZMA_RUN
        };
        // SAFETY: the stream was set up by `lzma_stream_decoder`; `next_in`/`avail_in` describe
        // the unread tail of `input`, which liblzma advanced itself since it was set (and which
        // outlives `decoder`); `next_out`/`avail_out` describe `room` bytes of `out`'s spare
        // capacity, which nothing else touches during the call.
        let ret = unsafe { (lib.code)(&mut decoder.stream, action) };
        let produced = room.saturating_sub(decoder.stream.avail_out);
        // SAFETY: liblzma wrote exactly `produced` (≤ `room`) bytes at the start of the spare
        // capacity, so they are initialised and within capacity.
        unsafe { out.set_len(len_before + produced) };
        let consumed = in_before.saturating_sub(decoder.stream.avail_in);
        match ret {
            // With LZMA_CONCATENATED the end is reported only after LZMA_FINISH, that is once
            // all input has been consumed: bytes after a stream are a next stream or an error.
            LZMA_STREAM_END => return Ok(out),
            LZMA_OK | LZMA_BUF_ERROR if produced == 0 && consumed == 0 => {
                return Err(if decoder.stream.avail_in == 0 {
                    failed(
                        "truncated data (the input ends inside the xz stream)".to_owned(),
                        true,
                    )
                } else {
                    failed(
                        format!("corrupt data (no progress, {})", ret_name(ret)),
                        false,
                    )
                });
            }
            LZMA_OK | LZMA_BUF_ERROR => {}
            LZMA_MEMLIMIT_ERROR => {
                // SAFETY: the stream is set up; `lzma_memusage` only reads it.
                let needed = unsafe { (lib.memusage)(&decoder.stream) };
                return Err(failed(
                    format!(
                        "needs {needed} bytes of memory to decode, more than the limit of \
                         {memlimit} ({})",
                        ret_name(ret)
                    ),
                    false,
                ));
            }
            LZMA_MEM_ERROR => {
                return Err(failed(format!("out of memory ({})", ret_name(ret)), false))
            }
            other => return Err(failed(format!("corrupt data ({})", ret_name(other)), false)),
        }
    }
}

/// The problem text when the output buffer cannot grow to `bytes`.
fn no_memory_for(bytes: usize) -> String {
    format!("cannot allocate {bytes} bytes for the decompressed data")
}

/// The C name of a liblzma return code, with what it means for a decoder.
fn ret_name(ret: c_int) -> String {
    let known = match ret {
        LZMA_OK => "LZMA_OK",
        LZMA_STREAM_END => "LZMA_STREAM_END",
        LZMA_MEM_ERROR => "LZMA_MEM_ERROR",
        LZMA_MEMLIMIT_ERROR => "LZMA_MEMLIMIT_ERROR",
        LZMA_FORMAT_ERROR => "LZMA_FORMAT_ERROR: not in the xz format",
        LZMA_OPTIONS_ERROR => "LZMA_OPTIONS_ERROR: unsupported options",
        LZMA_DATA_ERROR => "LZMA_DATA_ERROR",
        LZMA_BUF_ERROR => "LZMA_BUF_ERROR",
        LZMA_PROG_ERROR => "LZMA_PROG_ERROR",
        LZMA_UNSUPPORTED_CHECK => "LZMA_UNSUPPORTED_CHECK: unsupported integrity check",
        _ => return format!("liblzma return code {ret}"),
    };
    known.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compression::{decompress, DecompressLimits};
    use std::io::{Read, Write};

    fn p() -> &'static Path {
        Path::new("/m/x.ko.xz")
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn sample(n: u32) -> Vec<u8> {
        (0..n).flat_map(|i| (i % 251).to_le_bytes()).collect()
    }

    /// How a decompression ended, in the terms callers see.
    #[derive(Debug, PartialEq, Eq)]
    enum Outcome {
        Data(Vec<u8>),
        Truncated,
        Corrupt,
        Limit,
    }

    /// The new decoder, through the crate's entry point.
    fn ours(input: &[u8], limits: &DecompressLimits) -> Outcome {
        match decompress(p(), Compression::Xz, input, limits) {
            Ok(v) => Outcome::Data(v),
            Err(Error::Decompress {
                truncated: true, ..
            }) => Outcome::Truncated,
            Err(Error::Decompress { .. }) => Outcome::Corrupt,
            Err(Error::LimitExceeded { .. }) => Outcome::Limit,
            Err(e) => panic!("unexpected error {e}"),
        }
    }

    /// The same decoder through xz2's reader (liblzma linked), with the same flags,
    /// `limit + 1` bytes read, an `UnexpectedEof` error meaning truncated.
    fn reference(input: &[u8], limits: &DecompressLimits) -> Outcome {
        let limit = limits.output_limit(input.len());
        let stream = match xz2::stream::Stream::new_stream_decoder(
            limits.xz_memlimit,
            xz2::stream::CONCATENATED,
        ) {
            Ok(s) => s,
            Err(_) => return Outcome::Corrupt,
        };
        let mut out = Vec::new();
        match xz2::read::XzDecoder::new_stream(input, stream)
            .take(limit + 1)
            .read_to_end(&mut out)
        {
            Ok(_) if out.len() as u64 > limit => Outcome::Limit,
            Ok(_) => Outcome::Data(out),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Outcome::Truncated,
            Err(_) => Outcome::Corrupt,
        }
    }

    fn both(input: &[u8], limits: &DecompressLimits) -> Outcome {
        let new = ours(input, limits);
        assert_eq!(new, reference(input, limits), "input {input:02x?}");
        new
    }

    fn error(input: &[u8], limits: &DecompressLimits) -> Error {
        decompress(p(), Compression::Xz, input, limits).unwrap_err()
    }

    #[test]
    fn stream_struct_has_the_c_layout() {
        // <lzma/base.h> on LP64: 2 × (pointer, size_t, uint64_t), 6 pointers, 2 uint64_t,
        // 2 size_t, 2 enums.
        if cfg!(target_pointer_width = "64") {
            assert_eq!(std::mem::size_of::<LzmaStream>(), 136);
            assert_eq!(std::mem::offset_of!(LzmaStream, internal), 56);
            assert_eq!(std::mem::offset_of!(LzmaStream, seek_pos), 96);
        }
    }

    #[test]
    fn library_is_loaded_once_and_reused() {
        let first = liblzma().unwrap();
        let again = liblzma().unwrap();
        assert!(std::ptr::eq(first, again));
    }

    #[test]
    fn round_trips() {
        let limits = DecompressLimits::default();
        for data in [sample(10), sample(50_000), sample(300_000), b"x".to_vec()] {
            assert_eq!(both(&xz(&data), &limits), Outcome::Data(data));
        }
    }

    #[test]
    fn empty_output() {
        let packed = xz(b"");
        assert!(packed.len() > 12);
        assert_eq!(
            both(&packed, &DecompressLimits::default()),
            Outcome::Data(Vec::new())
        );
    }

    #[test]
    fn output_cap_reached_and_exceeded() {
        let limits = DecompressLimits {
            max_output: 5000,
            ..DecompressLimits::default()
        };
        let exact = sample(1250);
        assert_eq!(both(&xz(&exact), &limits), Outcome::Data(exact));
        assert_eq!(both(&xz(&sample(1251)), &limits), Outcome::Limit);
        assert_eq!(both(&xz(&sample(300_000)), &limits), Outcome::Limit);
        let err = error(&xz(&sample(1251)), &limits);
        assert!(
            matches!(err, Error::LimitExceeded { limit: 5000, .. }),
            "{err}"
        );
        // Output past the limit wins over what follows the stream (xz2 stopped reading there).
        let mut long_then_junk = xz(&sample(1251));
        long_then_junk.extend_from_slice(b"junk");
        assert_eq!(both(&long_then_junk, &limits), Outcome::Limit);
    }

    #[test]
    fn every_cut_is_truncated() {
        let limits = DecompressLimits::default();
        let packed = xz(b"hello world, hello module");
        for cut in 0..packed.len() {
            assert_eq!(
                both(&packed[..cut], &limits),
                Outcome::Truncated,
                "cut {cut}"
            );
        }
        let err = error(&packed[..packed.len() - 1], &limits);
        assert_eq!(
            err.to_string(),
            "/m/x.ko.xz: xz: truncated data (the input ends inside the xz stream)"
        );
        assert_eq!(err.errno_like(), 22);
        // A larger stream, cut inside its data.
        let packed = xz(&sample(300_000));
        for cut in (0..packed.len()).step_by(97) {
            assert_eq!(
                both(&packed[..cut], &limits),
                Outcome::Truncated,
                "cut {cut}"
            );
        }
    }

    #[test]
    fn every_bit_flip_is_classified_as_before() {
        let limits = DecompressLimits::default();
        let packed = xz(b"hello world, hello module");
        let mut seen = Vec::new();
        for at in 0..packed.len() {
            for bit in 0..8 {
                let mut data = packed.clone();
                data[at] ^= 1 << bit;
                let outcome = both(&data, &limits);
                assert!(!matches!(outcome, Outcome::Data(_)), "flip {at}.{bit}");
                if !seen.contains(&outcome) {
                    seen.push(outcome);
                }
            }
        }
        // Most flips break a check or a header; some make a length longer than the input.
        assert!(seen.contains(&Outcome::Corrupt) && seen.contains(&Outcome::Truncated));
    }

    #[test]
    fn corrupt_data_names_the_liblzma_code() {
        let limits = DecompressLimits::default();
        let mut packed = xz(&sample(1000));
        // The stored CRC32 of the data sits just before the index.
        let mid = packed.len() / 2;
        packed[mid] ^= 0x55;
        let err = error(&packed, &limits);
        assert!(
            err.to_string()
                .starts_with("/m/x.ko.xz: xz: corrupt data (LZMA_DATA_ERROR"),
            "{err}"
        );
        assert!(matches!(
            err,
            Error::Decompress {
                truncated: false,
                ..
            }
        ));
        // A broken stream header flag byte (its CRC32 no longer matches).
        let mut packed = xz(b"abc");
        packed[7] ^= 1;
        let err = error(&packed, &limits);
        assert!(
            matches!(err, Error::Decompress { truncated: false, ref problem, .. }
                if problem.starts_with("corrupt data (LZMA_")),
            "{err}"
        );
    }

    #[test]
    fn concatenated_streams_and_padding_decode_like_kmod() {
        let limits = DecompressLimits::default();
        let first = xz(b"hello ");
        let second = xz(b"world");
        let cases: [(Vec<u8>, Outcome); 4] = [
            (second.clone(), Outcome::Data(b"hello world".to_vec())),
            (vec![0; 4], Outcome::Data(b"hello ".to_vec())),
            (
                [&[0; 8][..], &second].concat(),
                Outcome::Data(b"hello world".to_vec()),
            ),
            (vec![0], Outcome::Corrupt),
        ];
        for (tail, want) in cases {
            let mut data = first.clone();
            data.extend_from_slice(&tail);
            assert_eq!(both(&data, &limits), want, "tail {tail:02x?}");
        }
        // Other bytes after a stream are the start of a stream header that never completes: an
        // error, EINVAL as kmod reports ("Invalid argument"). (xz2's reader words four such
        // bytes as corrupt, ours as truncated; the errno is the same.)
        for tail in [&b"junk"[..], b"junkjunkjunkjunk", &second[..12]] {
            let data = [&first[..], tail].concat();
            assert!(
                matches!(ours(&data, &limits), Outcome::Corrupt | Outcome::Truncated),
                "tail {tail:02x?}"
            );
            assert_eq!(error(&data, &limits).errno_like(), 22, "tail {tail:02x?}");
        }
    }

    #[test]
    fn random_mutations_match_xz2() {
        let limits = DecompressLimits {
            max_output: 1 << 20,
            ..DecompressLimits::default()
        };
        let base = xz(&sample(20_000));
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        for _ in 0..400 {
            let mut data = base.clone();
            for _ in 0..1 + next(3) {
                let at = next(data.len());
                match next(3) {
                    0 => data[at] = next(256) as u8,
                    1 => data.truncate(at),
                    _ => data.insert(at, next(256) as u8),
                }
            }
            both(&data, &limits);
        }
    }

    /// A valid stream of 3 bytes whose LZMA2 filter asks for a 1.5 GiB dictionary.
    fn huge_dictionary_stream() -> Vec<u8> {
        let mut data = xz(b"abc");
        // Block header after the 12-byte stream header: size byte, flags 0 (one filter, no
        // sizes), filter id 0x21 (LZMA2), properties size 1, dictionary size byte.
        assert_eq!(data[13..16], [0x00, 0x21, 0x01]);
        let header_len = (usize::from(data[12]) + 1) * 4;
        // Dictionary byte 37: (2 | 1) << (37 / 2 + 11) = 1.5 GiB.
        data[16] = 37;
        let mut crc = flate2::Crc::new();
        crc.update(&data[12..12 + header_len - 4]);
        data[12 + header_len - 4..12 + header_len].copy_from_slice(&crc.sum().to_le_bytes());
        data
    }

    #[test]
    fn dictionary_over_the_memlimit_is_an_error() {
        let data = huge_dictionary_stream();
        let limits = DecompressLimits::default();
        assert_eq!(both(&data, &limits), Outcome::Corrupt);
        let err = error(&data, &limits);
        let text = err.to_string();
        assert!(
            text.contains("more than the limit of 268435456 (LZMA_MEMLIMIT_ERROR)"),
            "{text}"
        );
        assert!(text.contains("needs 16"), "{text}"); // 1.5 GiB = 1610612736 and a little
        assert_eq!(err.errno_like(), 22);
        // The same stream with its original dictionary decodes.
        let mut fine = data.clone();
        fine[16] = 22;
        let header_len = (usize::from(fine[12]) + 1) * 4;
        let mut crc = flate2::Crc::new();
        crc.update(&fine[12..12 + header_len - 4]);
        fine[12 + header_len - 4..12 + header_len].copy_from_slice(&crc.sum().to_le_bytes());
        assert_eq!(both(&fine, &limits), Outcome::Data(b"abc".to_vec()));
    }

    /// Set for the child process of `dictionary_over_the_memlimit_is_never_allocated`.
    const CHILD_ENV: &str = "MODFILE_XZ_ADDRESS_LIMIT_CHILD";

    #[test]
    fn dictionary_over_the_memlimit_is_never_allocated() {
        // The child runs `address_limited_child` with at most 1 GiB of address space: an
        // attempt to allocate the 1.5 GiB dictionary fails there with LZMA_MEM_ERROR.
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new("sh")
            .args(["-c", "ulimit -v 1048576 && exec \"$0\" \"$@\""])
            .arg(exe)
            .args([
                "--exact",
                "xz_dlopen::tests::address_limited_child",
                "--ignored",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD_ENV, "1")
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{log}");
        assert!(log.contains("1 passed"), "{log}");
        assert!(log.contains("child checked"), "{log}");
    }

    #[test]
    #[ignore = "run by dictionary_over_the_memlimit_is_never_allocated under an address limit"]
    fn address_limited_child() {
        if std::env::var_os(CHILD_ENV).is_none() {
            return;
        }
        let data = huge_dictionary_stream();
        let lib = liblzma().unwrap();
        let problem = |memlimit| match decode(lib, p(), &data, memlimit, 100, 16) {
            Err(Error::Decompress { problem, .. }) => problem,
            other => panic!("{other:?}"),
        };
        // Within the default memlimit: refused before any allocation.
        assert!(problem(256 << 20).contains("LZMA_MEMLIMIT_ERROR"));
        // Without a memlimit liblzma tries, and the address limit makes that fail: the check
        // above would have shown this, had the dictionary been allocated.
        assert!(problem(u64::MAX).contains("LZMA_MEM_ERROR"));
        println!("child checked");
    }

    #[test]
    fn missing_library_is_enosys_naming_file_and_library() {
        let missing = load(c"liblzma-kmod-rs-test-missing.so.5");
        let e = missing.as_ref().unwrap_err();
        assert_eq!(e.library, "liblzma-kmod-rs-test-missing.so.5");
        assert!(
            e.reason.contains("liblzma-kmod-rs-test-missing.so.5"),
            "{e:?}"
        );
        let err = e.unavailable(p());
        assert!(matches!(
            err,
            Error::DecompressorUnavailable {
                compression: Compression::Xz,
                ..
            }
        ));
        assert_eq!(err.errno_like(), 38);
        let text = err.to_string();
        assert!(
            text.starts_with(
                "/m/x.ko.xz: xz: cannot decompress without liblzma-kmod-rs-test-missing.so.5 ("
            ),
            "{text}"
        );
        // A library without the functions is refused the same way.
        let wrong = load(c"libc.so.6");
        let e = wrong.as_ref().unwrap_err();
        assert!(e.reason.starts_with("no lzma_stream_decoder"), "{e:?}");
    }

    #[test]
    fn threads_share_one_library() {
        let data = sample(30_000);
        let packed = xz(&data);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| ours(&packed, &DecompressLimits::default())))
                .collect();
            for h in handles {
                assert_eq!(h.join().unwrap(), Outcome::Data(data.clone()));
            }
        });
    }
}
