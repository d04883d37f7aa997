//! Gives the memory pages of the compiled-in model weights back to the system once the model is
//! loaded. The weights are read-only data of the program, mapped from its executable file; loading
//! the model reads all 45 MB of them to build its own f32 tensors, and without this they would stay
//! resident although nothing reads them again. This is the second of the crate's small `unsafe`
//! blocks' modules (with `threads` and `store::vec_ext`).

/// Drops the resident copies of the whole pages inside `bytes`. Should anything read them again,
/// the system reads the same bytes from the executable file.
#[cfg(target_os = "linux")]
pub fn release(bytes: &'static [u8]) {
    // SAFETY: `sysconf` only reads a system constant.
    #[allow(unsafe_code)]
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let Ok(page) = usize::try_from(page) else {
        return;
    };
    if page == 0 {
        return;
    }
    let start = bytes.as_ptr() as usize;
    let first = start.div_ceil(page) * page;
    let last = (start + bytes.len()) / page * page;
    if last <= first {
        return;
    }
    // SAFETY: [first, last) holds whole pages that lie inside `bytes`: read-only data compiled
    // into the executable, mapped privately from its file and never written (no relocation
    // touches `include_bytes!` data, and only whole pages of it are named). On such a mapping
    // MADV_DONTNEED discards only clean resident copies; the next read faults the identical bytes
    // back in from the file, so every reference to `bytes` stays valid and sees the same data.
    // A failure only leaves the pages resident, so its result is ignored.
    #[allow(unsafe_code)]
    unsafe {
        libc::madvise(
            first as *mut libc::c_void,
            last - first,
            libc::MADV_DONTNEED,
        );
    }
}

/// Elsewhere the pages stay resident (the system may still reclaim them under pressure).
#[cfg(not(target_os = "linux"))]
pub fn release(_bytes: &'static [u8]) {}
