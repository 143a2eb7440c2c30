;; The line framer of src/run/frame.ts, in WebAssembly text. `npm run wasm` assembles it into
;; frame-wasm.ts (test/frame-wasm.test.ts checks the two agree).
;;
;; The caller copies a prefix and a run of whole lines (each ending with a newline) into `memory`,
;; followed by 16 zero bytes; `count` says how many lines there are, the caller makes room for the
;; output, and `frame` writes every line with the prefix before it. Both look at 16 bytes at a
;; time (SIMD): a newline is found by comparing all 16 with `\n` at once.
;;
;; Stores are 16 bytes wide, so they may write up to 15 bytes past the end of what they copy; the
;; next store starts where the copied bytes end and overwrites that. The caller leaves 16 bytes of
;; room after the output and after the prefix for it, and for loads past the end of the lines.
(module
  (memory (export "memory") 1)

  ;; How many newlines are in [src, src + n); the 16 bytes after it must be zero (no newline).
  (func (export "count") (param $src i32) (param $n i32) (result i32)
    (local $pos i32)
    (local $end i32)
    (local $lines i32)
    (local.set $pos (local.get $src))
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (block $done
      (loop $block
        (br_if $done (i32.ge_u (local.get $pos) (local.get $end)))
        (local.set $lines
          (i32.add
            (local.get $lines)
            (i32.popcnt
              (i8x16.bitmask (i8x16.eq (v128.load (local.get $pos)) (i8x16.splat (i32.const 10)))))))
        (local.set $pos (i32.add (local.get $pos) (i32.const 16)))
        (br $block)))
    (local.get $lines))

  ;; Writes `lines` lines from `src` to `dst`, each after the `p` bytes at `pfx`; returns where the
  ;; output ends. `src` must hold at least `lines` newlines (what `count` found).
  (func (export "frame")
    (param $pfx i32) (param $p i32) (param $src i32) (param $lines i32) (param $dst i32) (result i32)
    (local $pos i32)
    (local $out i32)
    (local $k i32)
    (local $bytes v128)
    (local $newlines i32)
    (local.set $pos (local.get $src))
    (local.set $out (local.get $dst))
    (block $done
      (loop $line
        (br_if $done (i32.eqz (local.get $lines)))
        ;; The prefix, 16 bytes at a time.
        (local.set $k (i32.const 0))
        (block $prefixed
          (loop $prefix
            (br_if $prefixed (i32.ge_u (local.get $k) (local.get $p)))
            (v128.store
              (i32.add (local.get $out) (local.get $k))
              (v128.load (i32.add (local.get $pfx) (local.get $k))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $prefix)))
        (local.set $out (i32.add (local.get $out) (local.get $p)))
        ;; The line: 16 bytes copied per step until a step holds its newline.
        (loop $scan
          (local.set $bytes (v128.load (local.get $pos)))
          (v128.store (local.get $out) (local.get $bytes))
          (local.set $newlines (i8x16.bitmask (i8x16.eq (local.get $bytes) (i8x16.splat (i32.const 10)))))
          (if (i32.eqz (local.get $newlines))
            (then
              (local.set $pos (i32.add (local.get $pos) (i32.const 16)))
              (local.set $out (i32.add (local.get $out) (i32.const 16)))
              (br $scan))))
        ;; Up to and with the first newline of the step belongs to this line.
        (local.set $k (i32.add (i32.ctz (local.get $newlines)) (i32.const 1)))
        (local.set $pos (i32.add (local.get $pos) (local.get $k)))
        (local.set $out (i32.add (local.get $out) (local.get $k)))
        (local.set $lines (i32.sub (local.get $lines) (i32.const 1)))
        (br $line)))
    (local.get $out)))
