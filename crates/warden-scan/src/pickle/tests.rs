//! Opcode-family tests on hand-written pickles. Each literal notes what Python produces it
//! or why it is built by hand.

use std::io::{self, BufReader, Read};

use super::*;

fn run_with(bytes: &[u8], mode: Mode, limits: &Limits) -> (Vec<Event>, Outcome) {
    let mut events = Vec::new();
    let mut data = bytes;
    let mut src = Src::new(&mut data);
    let outcome = walk(&mut src, mode, limits, &mut |e| events.push(e)).unwrap();
    (events, outcome)
}

fn run(bytes: &[u8]) -> (Vec<Event>, Outcome) {
    run_with(bytes, Mode::STRICT, &Limits::default())
}

/// Imports as `module.name` with their calls.
fn imports(events: &[Event]) -> Vec<(String, Vec<&'static str>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Import(i) => Some((format!("{}.{}", i.module, i.name), i.calls.clone())),
            _ => None,
        })
        .collect()
}

fn corrupt(events: &[Event]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Corrupt { detail, .. } => Some(detail.as_str()),
            _ => None,
        })
        .collect()
}

fn unresolved(events: &[Event]) -> usize {
    events.iter().filter(|e| matches!(e, Event::Unresolved { .. })).count()
}

fn clean(bytes: &[u8]) -> Vec<(String, Vec<&'static str>)> {
    let (events, outcome) = run(bytes);
    assert_eq!(outcome.end, End::Complete, "{events:?}");
    assert!(corrupt(&events).is_empty(), "{events:?}");
    imports(&events)
}

fn system_reduce() -> Vec<(String, Vec<&'static str>)> {
    vec![("posix.system".into(), vec!["REDUCE"])]
}

// --- calls through every protocol -------------------------------------------------------

#[test]
fn reduce_at_every_protocol() {
    // pickle.dumps(Evil(), protocol=p) with Evil.__reduce__ = lambda s: (os.system, ('echo',))
    let pickles: [&[u8]; 6] = [
        b"cposix\nsystem\np0\n(Vecho\np1\ntp2\nRp3\n.",
        b"cposix\nsystem\nq\x00(X\x04\x00\x00\x00echoq\x01tq\x02Rq\x03.",
        b"\x80\x02cposix\nsystem\nq\x00X\x04\x00\x00\x00echoq\x01\x85q\x02Rq\x03.",
        b"\x80\x03cposix\nsystem\nq\x00X\x04\x00\x00\x00echoq\x01\x85q\x02Rq\x03.",
        b"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x04echo\x94\x85\x94R\x94.",
        b"\x80\x05\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x04echo\x94\x85\x94R\x94.",
    ];
    for pickle in pickles {
        assert_eq!(clean(pickle), system_reduce());
    }
}

#[test]
fn import_offsets_point_at_the_opcode() {
    // Protocol 4 above: pickletools.dis shows STACK_GLOBAL at byte 28.
    let (events, _) =
        run(b"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x04echo\x94\x85\x94R\x94.");
    let Event::Import(import) = &events[0] else { panic!("{events:?}") };
    assert_eq!((import.offset, import.opcode), (28, "STACK_GLOBAL"));
}

#[test]
fn inst_obj_newobj_newobj_ex_build() {
    // Protocol 0 INST, as Python 2 wrote old-style instances: (Vecho\niposix\nsystem\n.
    assert_eq!(clean(b"(Vecho\niposix\nsystem\n."), vec![("posix.system".into(), vec!["INST"])]);
    // OBJ (protocol 1): MARK, class, args, OBJ.
    assert_eq!(clean(b"(cposix\nsystem\nVecho\no."), vec![("posix.system".into(), vec!["OBJ"])]);
    // pickle.dumps([c, c], protocol=2) for a plain class C with c.x = 1: NEWOBJ then BUILD.
    let two = clean(b"\x80\x02]q\x00(c__main__\nC\nq\x01)\x81q\x02}q\x03X\x01\x00\x00\x00xq\x04K\x01sbh\x02e.");
    assert_eq!(two, vec![("__main__.C".into(), vec!["NEWOBJ", "BUILD"])]);
    // NEWOBJ_EX (protocol 4): class, args, kwargs.
    let ex = clean(b"\x80\x04\x8c\x03mod\x8c\x03Cls\x93)}\x92.");
    assert_eq!(ex, vec![("mod.Cls".into(), vec!["NEWOBJ_EX"])]);
    // pickle.dumps([c], protocol=0): copy_reg._reconstructor(C, object, None) then BUILD.
    let old = clean(b"(lp0\nccopy_reg\n_reconstructor\np1\n(c__main__\nC\np2\nc__builtin__\nobject\np3\nNtp4\nRp5\n(dp6\nVx\np7\nI1\nsba.");
    assert_eq!(
        old,
        vec![
            ("copy_reg._reconstructor".into(), vec!["REDUCE", "BUILD"]),
            ("__main__.C".into(), vec![]),
            ("__builtin__.object".into(), vec![])
        ]
    );
}

#[test]
fn an_import_that_is_never_called_is_still_reported() {
    // GLOBAL then STOP: pickle.loads returns the function itself.
    assert_eq!(clean(b"cposix\nsystem\n."), vec![("posix.system".into(), vec![])]);
}

// --- strings, escapes and the memo -----------------------------------------------------

#[test]
fn stack_global_through_every_memo_opcode() {
    // Module and name memoized, popped, then fetched back: BINPUT/BINGET.
    let binget = b"\x80\x04\x8c\x05posixq\x010\x8c\x06systemq\x020h\x01h\x02\x93)R.";
    assert_eq!(clean(binget), system_reduce());
    // LONG_BINPUT/LONG_BINGET with four-byte keys.
    let long = b"\x80\x04\x8c\x05posixr\x00\x00\x01\x000\x8c\x06systemr\x01\x00\x01\x000j\x00\x00\x01\x00j\x01\x00\x01\x00\x93)R.";
    assert_eq!(clean(long), system_reduce());
    // MEMOIZE assigns keys 0, 1 in order.
    let memoize = b"\x80\x04\x8c\x05posix\x940\x8c\x06system\x940h\x00h\x01\x93)R.";
    assert_eq!(clean(memoize), system_reduce());
    // Text PUT/GET; Python's int() accepts the padding and underscores.
    let text = b"\x80\x04Vposix\np 1_0\n0Vsystem\np11\n0g10\ng 11 \n\x93)R.";
    assert_eq!(clean(text), system_reduce());
}

#[test]
fn put_overwrites_and_memoize_counts_keys() {
    // PUT 0 = "x", MEMOIZE -> key 1 = "posix", PUT 0 = "system" overwrites key 0.
    let bytes = b"\x80\x04\x8c\x01xq\x000\x8c\x05posix\x940\x8c\x06systemq\x000h\x01h\x00\x93)R.";
    assert_eq!(clean(bytes), system_reduce());
}

#[test]
fn string_opcodes_with_escapes() {
    // STRING with escape_decode escapes: 'p\x6fsix' is posix.
    assert_eq!(clean(b"\x80\x04S'p\\x6fsix'\nS\"sys\\164em\"\n\x93)R."), system_reduce());
    // UNICODE with raw-unicode-escape: \u0070 is p.
    assert_eq!(clean(b"\x80\x04V\\u0070osix\nVsystem\n\x93)R."), system_reduce());
    // BINSTRING, SHORT_BINSTRING, BINUNICODE, BINUNICODE8.
    assert_eq!(clean(b"\x80\x04T\x05\x00\x00\x00posixU\x06system\x93)R."), system_reduce());
    let wide = b"\x80\x04X\x05\x00\x00\x00posix\x8d\x06\x00\x00\x00\x00\x00\x00\x00system\x93)R.";
    assert_eq!(clean(wide), system_reduce());
}

#[test]
fn bytes_are_not_strings() {
    // SHORT_BINBYTES module: Python 3 refuses it; the scanner cannot name it either.
    let (events, _) = run(b"\x80\x04C\x05posix\x8c\x06system\x93)R.");
    assert_eq!(unresolved(&events), 1);
}

#[test]
fn strings_past_the_cap_do_not_resolve() {
    let limits = Limits { max_string: 4, ..Limits::default() };
    let (events, _) = run_with(b"\x80\x04\x8c\x05posix\x8c\x06system\x93)R.", Mode::STRICT, &limits);
    assert_eq!((unresolved(&events), imports(&events).len()), (1, 0));
    let (events, _) = run_with(b"cposix\nsystem\n.", Mode::STRICT, &limits);
    assert_eq!((unresolved(&events), imports(&events).len()), (1, 0));
}

#[test]
fn runtime_built_names_are_unresolved() {
    // module = str.join('', ['po', 'six']) computed by REDUCE, then STACK_GLOBAL.
    let bytes = b"\x80\x04\x8c\x08builtins\x8c\x08str.join\x93\x8c\x00](\x8c\x02po\x8c\x03sixe\x86R\x8c\x06system\x93\x8c\x04echo\x85R.";
    let (events, outcome) = run(bytes);
    assert_eq!(outcome.end, End::Complete);
    assert_eq!(unresolved(&events), 1);
    assert_eq!(imports(&events), vec![("builtins.str.join".into(), vec!["REDUCE"])]);
}

#[test]
fn extension_codes_are_unresolved() {
    // EXT1 1, EXT2 0x0102, EXT4 0x01020304: the copyreg extension registry.
    let (events, _) = run(b"\x80\x02\x82\x010\x83\x02\x010\x84\x04\x03\x02\x01N.");
    assert_eq!(unresolved(&events), 3);
}

// --- numbers, bytes and skipping ---------------------------------------------------------

#[test]
fn containers_and_numbers_at_protocols_0_1_4_5() {
    // pickle.dumps({'a': [1, 2.5, b'x', None, True, (1,2,3), {1,2}]}, protocol=0)
    let p0 = clean(
        b"(dp0\nVa\np1\n(lp2\nI1\naF2.5\nac_codecs\nencode\np3\n(Vx\np4\nVlatin1\np5\ntp6\nRp7\naNaI01\na(I1\nI2\nI3\ntp8\nac__builtin__\nset\np9\n((lp10\nI1\naI2\natp11\nRp12\nas.",
    );
    assert_eq!(p0, vec![("_codecs.encode".into(), vec!["REDUCE"]), ("__builtin__.set".into(), vec!["REDUCE"])]);
    // pickle.dumps({'a': [1, 2.5, b'x', None, True, (1,2,3), 10**30, -5, 300, 70000]}, protocol=1)
    let p1 = clean(
        b"}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00c_codecs\nencode\nq\x03(X\x01\x00\x00\x00xq\x04X\x06\x00\x00\x00latin1q\x05tq\x06Rq\x07NI01\n(K\x01K\x02K\x03tq\x08L1000000000000000000000000000000L\nJ\xfb\xff\xff\xffM,\x01Jp\x11\x01\x00es.",
    );
    assert_eq!(p1, vec![("_codecs.encode".into(), vec!["REDUCE"])]);
    // pickle.dumps({'a': [1, 2.5, b'x', None, True, (1,2,3), {1,2}, frozenset([3])]}, protocol=4)
    let p4 = clean(
        b"\x80\x04\x952\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94]\x94(K\x01G@\x04\x00\x00\x00\x00\x00\x00C\x01x\x94N\x88K\x01K\x02K\x03\x87\x94\x8f\x94(K\x01K\x02\x90(K\x03\x91\x94es.",
    );
    assert!(p4.is_empty());
    // pickle.dumps(bytearray(b'ab'), protocol=5)
    assert!(clean(b"\x80\x05\x95\r\x00\x00\x00\x00\x00\x00\x00\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94.").is_empty());
}

#[test]
fn long_payloads_are_skipped_by_their_exact_length() {
    // LONG1, LONG4, BINBYTES, BINBYTES8, BYTEARRAY8 whose payloads contain opcode-like bytes,
    // then an import that must still be found.
    let mut bytes = b"\x80\x05\x8a\x02cc0\x8b\x03\x00\x00\x00c.c0B\x02\x00\x00\x00..0".to_vec();
    bytes.extend_from_slice(b"\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc0\x96\x01\x00\x00\x00\x00\x00\x00\x00.0");
    bytes.extend_from_slice(b"\x97\x980\x8c\x05posix\x8c\x06system\x93N\x85R.");
    assert_eq!(clean(&bytes), system_reduce());
}

#[test]
fn persistent_ids_frames_and_stack_opcodes() {
    // PERSID, BINPERSID (PyTorch storages), FRAME, DUP, POP_MARK, POP on an empty frame
    // (pops the mark), EMPTY_SET/ADDITEMS, FROZENSET, LIST, DICT, TUPLE.
    let bytes =
        b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00Pkey\n0(NQ\x8520(N10(0\x8f(K\x01\x900(K\x02\x910(l0(d0(t0N.";
    assert!(clean(bytes).is_empty());
}

#[test]
fn flat_memory_on_a_huge_payload() {
    // BINBYTES8 of 1 GiB, streamed from a reader that makes zeros: nothing is kept.
    const SIZE: u64 = 1 << 30;
    let header = [b"\x80\x04\x8e".as_slice(), &SIZE.to_le_bytes()].concat();
    let body = io::repeat(0).take(SIZE);
    let trailer: &[u8] = b"0\x8c\x05posix\x8c\x06system\x93N\x85R.";
    let mut reader = BufReader::new(header.as_slice().chain(body).chain(trailer));
    let mut events = Vec::new();
    let mut src = Src::new(&mut reader);
    let outcome = walk(&mut src, Mode::STRICT, &Limits::default(), &mut |e| events.push(e)).unwrap();
    assert_eq!(outcome.end, End::Complete);
    assert_eq!(imports(&events), system_reduce());
}

// --- several pickles, errors and limits ----------------------------------------------------

#[test]
fn several_pickles_back_to_back() {
    // pickle.dumps(1, protocol=2) followed by a malicious pickle.
    let bytes = b"\x80\x02K\x01.\x80\x02cposix\nsystem\nVecho\n\x85R.";
    let (events, outcome) = run(bytes);
    assert_eq!(outcome, Outcome { pickles: 2, end: End::Complete });
    assert_eq!(imports(&events), system_reduce());
    let (_, limited) = run_with(bytes, Mode { strict: true, max_pickles: Some(1) }, &Limits::default());
    assert_eq!(limited, Outcome { pickles: 1, end: End::Complete });
}

#[test]
fn corrupt_and_truncated_pickles() {
    let (events, outcome) = run(b"\x80\x02\xff");
    assert_eq!(outcome.end, End::Invalid);
    assert!(corrupt(&events)[0].contains("unknown opcode 0xff"), "{events:?}");
    let (events, outcome) = run(b"\x80\x02cposix\nsys");
    assert_eq!(outcome.end, End::Truncated);
    // The truncated import is never reported: it was never complete.
    assert_eq!((corrupt(&events).len(), imports(&events).len()), (1, 0));
    for (bytes, why) in [
        (b"\x80\x06N.".as_slice(), "unsupported pickle protocol"),
        (b"0", "stack underflow"),
        (b"h\x05.", "memo value not found"),
        (b"I1z\n.", "INT argument"),
        (b"t.", "could not find MARK"),
        (b"T\xff\xff\xff\xff", "negative byte count"),
        (b"S'no quote\n.", "must be quoted"),
        (b"p-1\n.", "negative PUT"),
        (b"(o.", "OBJ without a class"),
    ] {
        let (events, _) = run(bytes);
        assert!(corrupt(&events).first().is_some_and(|d| d.contains(why)), "{why}: {events:?}");
    }
    // A huge declared length with little data: truncated, nothing allocated from the length.
    let (events, _) = run(b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7fabc");
    assert!(corrupt(&events)[0].contains("truncated"));
}

#[test]
fn integers_are_read_as_loosely_as_cpython() {
    // CPython's INT uses strtol(s, 0) and LONG int(s, 0): hex, octal and underscores load, so
    // they must not stop the scan before the import that follows.
    assert_eq!(clean(b"I0x10\nL0o17L\nI1_000\n0cposix\nsystem\n)R."), system_reduce());
}

#[test]
fn imports_before_an_error_are_reported() {
    let (events, _) = run(b"\x80\x02cposix\nsystem\nVecho\n\x85R\xff");
    assert_eq!(imports(&events), system_reduce());
    assert_eq!(corrupt(&events).len(), 1);
}

#[test]
fn trailing_data_strict_and_speculative() {
    let bytes = b"\x80\x02N.\xff\xfe";
    let (events, outcome) = run(bytes);
    assert_eq!((outcome.pickles, outcome.end, corrupt(&events).len()), (1, End::Invalid, 1));
    let (events, outcome) = run_with(bytes, Mode::SPECULATIVE, &Limits::default());
    assert_eq!((outcome.pickles, outcome.end, events.len()), (1, End::Complete, 0));
    // Speculative: a failure is silent but imports before it still count.
    let (events, _) = run_with(b"\x80\x02cposix\nsystem\n\xff", Mode::SPECULATIVE, &Limits::default());
    assert_eq!((imports(&events).len(), corrupt(&events).len()), (1, 0));
}

#[test]
fn stack_bombs_degrade_instead_of_growing() {
    let limits = Limits { max_stack: 1000, ..Limits::default() };
    // A million MARKs then a STACK_GLOBAL whose strings were pushed before the overflow.
    let mut bytes = b"\x80\x04\x8c\x05posix\x8c\x06system".to_vec();
    bytes.extend(std::iter::repeat_n(b'(', 1_000_000));
    bytes.extend_from_slice(b"\x93N.");
    let (events, outcome) = run_with(&bytes, Mode::STRICT, &limits);
    assert_eq!(outcome.end, End::Complete);
    assert!(events.iter().any(|e| matches!(e, Event::Limit { .. })));
    assert_eq!(unresolved(&events), 1);
    // Inline imports are still seen after the stack is lost.
    let mut bytes = vec![b']'; 5000];
    bytes.extend_from_slice(b"cposix\nsystem\n)R.");
    let (events, _) = run_with(&bytes, Mode::STRICT, &limits);
    assert_eq!(imports(&events), system_reduce());
}

#[test]
fn memo_bombs_degrade_instead_of_growing() {
    let limits = Limits { max_memo: 100, ..Limits::default() };
    let mut bytes = b"\x80\x04\x8c\x05posix\x94\x8c\x06system\x94".to_vec();
    for key in 2u32..1000 {
        bytes.push(b'r');
        bytes.extend_from_slice(&key.to_le_bytes());
    }
    bytes.extend_from_slice(b"h\x00h\x01\x93N.");
    let (events, outcome) = run_with(&bytes, Mode::STRICT, &limits);
    assert_eq!(outcome.end, End::Complete);
    assert!(events.iter().any(|e| matches!(e, Event::Limit { .. })));
    assert_eq!((unresolved(&events), imports(&events).len()), (1, 0));
}

#[test]
fn import_table_cap_still_reports_every_import() {
    let limits = Limits { max_imports: 2, ..Limits::default() };
    let bytes = b"ca\nb\n0cc\nd\n0ce\nf\n0cposix\nsystem\n)R.";
    let (events, _) = run_with(bytes, Mode::STRICT, &limits);
    let names: Vec<String> = imports(&events).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), 4);
    assert!(names.contains(&"posix.system".to_owned()));
}

#[test]
fn probe() {
    assert!(looks_like_pickle(b"\x80\x02", false));
    assert!(!looks_like_pickle(b"\x80\x09", false));
    assert!(looks_like_pickle(b"(lp0\nI1\na.", true));
    assert!(!looks_like_pickle(b"(lp0\nI1\na", true));
    assert!(looks_like_pickle(b"(lp0\nI1\na", false));
    assert!(!looks_like_pickle(b"# readme\n", true));
    // Protocol 4 opcodes without a PROTO header load all the same.
    assert!(looks_like_pickle(b"\x8c\x05posix\x8c\x06system\x93)R.", true));
    assert!(!looks_like_pickle(b"\x8c\x05posix\xff", true));
}
