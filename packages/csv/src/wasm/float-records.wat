;; The all-float record parser of float-record.ts, in WebAssembly: byte for byte the same rules
;; (parseFloatRecords' comment is the specification), ~1.5x faster than the JavaScript version because
;; a wasm load has no map, bounds or interrupt check per byte (memory is guarded by the engine). It also
;; reads what parseFloatRecords hands to the general path as pandas writes it: 16 to 19 significant digits
;; and exponents ($longNumber), to the same values as the general path (Number()'s).
;;
;; Built into float-records-wasm.ts by `node packages/wasm/scripts/build-wasm.mjs` (wabt); a test checks
;; that the committed module is the build of this file.
;;
;; Memory layout (set up by wasm-float-kernel.ts): f64 powers of ten 10^0..10^22 at 0; the column kinds
;; (u8, 1 = store) at $kinds; the slots (i32) at $slots; the bytes to parse and the output rows anywhere
;; after them. The caller guarantees an LF at `safe`: every read stops at the first LF of a record.
(module
  (memory (export "memory") 1)
  (global $out (mut i32) (i32.const 0))
  (global $width (mut i32) (i32.const 0))
  (global $kinds (mut i32) (i32.const 0))
  (global $slots (mut i32) (i32.const 0))
  (global $ncols (mut i32) (i32.const 0))
  (global $delim (mut i32) (i32.const 44))
  (global $dec (mut i32) (i32.const 46))
  (global $f64 (mut i32) (i32.const 0))
  (global $row (mut i32) (i32.const 0))
  (func (export "configure") (param $out i32) (param $width i32) (param $kinds i32) (param $slots i32) (param $ncols i32) (param $delim i32) (param $dec i32) (param $f64 i32)
    (global.set $out (local.get $out)) (global.set $width (local.get $width)) (global.set $kinds (local.get $kinds))
    (global.set $slots (local.get $slots)) (global.set $ncols (local.get $ncols)) (global.set $delim (local.get $delim))
    (global.set $dec (local.get $dec)) (global.set $f64 (local.get $f64)))
;; The value of the digits m (nd of them, leading zeros included, from at) over 10^exp, past what one
  ;; exact operation gives: 16 to 19 significant digits (what pandas writes for a computed float64:
  ;; 0.30000000000000004), or a power of ten past 10^22 to divide by (1.2345678901234567e-07). NaN when the
  ;; kernel cannot say: more than 19 significant digits, a multiplication, a division past 10^44, or
  ;; $longDecimal's doubt; the caller then hands the record to the general path (Number()).
  (func $longNumber (param $m i64) (param $nd i32) (param $exp i32) (param $at i32) (result f64)
    (local $b i32) (local $v f64)
    ;; Leading zeros (0.0016186299815773964) are not digits of m: only significant ones count.
    (block $lz (loop $lzl
      (local.set $b (i32.load8_u (local.get $at)))
      (local.set $at (i32.add (local.get $at) (i32.const 1)))
      (if (i32.eq (local.get $b) (i32.const 48))
        (then (local.set $nd (i32.sub (local.get $nd) (i32.const 1))) (br $lzl)))
      (br_if $lzl (i32.eq (local.get $b) (global.get $dec)))))
    (if (i32.gt_u (local.get $nd) (i32.const 19)) (then (return (f64.const nan))))
    (if (i32.gt_u (local.get $exp) (i32.const 44)) (then (return (f64.const nan))))
    ;; Into float32, first the quick way: m / 10^exp (two or three roundings) is within 4 * 2^-53 (relative)
    ;; of the text's double; where the doubles 2^-50 either side of it round to one float32, so does the
    ;; text's double. Else (a float32 tie, nearly) and into float64, the text's double itself.
    (local.set $v (f64.convert_i64_u (local.get $m)))
    (if (i32.gt_u (local.get $exp) (i32.const 22))
      (then (local.set $v (f64.div (f64.div (local.get $v) (f64.const 1e22)) (f64.load (i32.shl (i32.sub (local.get $exp) (i32.const 22)) (i32.const 3))))))
      (else (if (local.get $exp) (then (local.set $v (f64.div (local.get $v) (f64.load (i32.shl (local.get $exp) (i32.const 3)))))))))
    (if (i32.eqz (global.get $f64))
      (then (if (f32.eq
          (f32.demote_f64 (f64.mul (local.get $v) (f64.const 0x1.ffffffffffff8p-1)))
          (f32.demote_f64 (f64.mul (local.get $v) (f64.const 0x1.0000000000004p+0))))
        (then (return (local.get $v))))))
    (call $longDecimal (local.get $m) (local.get $exp)))
  ;; The double nearest m / 10^k (m < 10^19, so exact in 64 unsigned bits, not in a double; k <= 44), or NaN
  ;; when it cannot be sure. m = hi + lo exactly (hi its nearest double); the quotient is carried in two
  ;; doubles, divided by 10^22 at most at a time (a power of ten a double holds exactly; Dekker's exact
  ;; product gives each step's remainder), good to about 2^-100 of its value, so its rounding s is the
  ;; nearest double unless the quotient lies within 2^-38 of a spacing of halfway between s and a
  ;; neighbour (a tie, or nearly): then NaN, and the caller hands the text to Number().
  (func $longDecimal (param $m i64) (param $k i32) (result f64)
    (local $hi f64) (local $lo f64) (local $p f64) (local $q1 f64) (local $q2 f64) (local $s f64) (local $e f64)
    (local $ah f64) (local $al f64) (local $bh f64) (local $bl f64) (local $t f64) (local $bits i64) (local $step i32)
    (local.set $hi (f64.convert_i64_u (local.get $m)))
    (if (i32.eqz (local.get $k)) (then (return (local.get $hi))))
    (local.set $lo (f64.convert_i64_s (i64.sub (local.get $m) (i64.trunc_f64_u (local.get $hi)))))
    (loop $divide
      (local.set $step (select (i32.const 22) (local.get $k) (i32.gt_u (local.get $k) (i32.const 22))))
      (local.set $k (i32.sub (local.get $k) (local.get $step)))
      (local.set $p (f64.load (i32.shl (local.get $step) (i32.const 3))))
      (local.set $q1 (f64.div (local.get $hi) (local.get $p)))
      ;; Dekker's split of q1 and p into 26-bit halves: q1 * p = t + (the error below) exactly.
      (local.set $t (f64.mul (local.get $q1) (f64.const 134217729)))
      (local.set $ah (f64.sub (local.get $t) (f64.sub (local.get $t) (local.get $q1))))
      (local.set $al (f64.sub (local.get $q1) (local.get $ah)))
      (local.set $t (f64.mul (local.get $p) (f64.const 134217729)))
      (local.set $bh (f64.sub (local.get $t) (f64.sub (local.get $t) (local.get $p))))
      (local.set $bl (f64.sub (local.get $p) (local.get $bh)))
      (local.set $t (f64.mul (local.get $q1) (local.get $p)))
      (local.set $e (f64.add (f64.add (f64.add (f64.sub (f64.mul (local.get $ah) (local.get $bh)) (local.get $t))
        (f64.mul (local.get $ah) (local.get $bl))) (f64.mul (local.get $al) (local.get $bh))) (f64.mul (local.get $al) (local.get $bl))))
      ;; The remainder hi + lo - q1 * p: hi - t is exact (they are within a few units of each other).
      (local.set $q2 (f64.div (f64.add (f64.sub (f64.sub (local.get $hi) (local.get $t)) (local.get $e)) (local.get $lo)) (local.get $p)))
      (local.set $hi (local.get $q1))
      (local.set $lo (local.get $q2))
      (br_if $divide (local.get $k)))
    (local.set $s (f64.add (local.get $q1) (local.get $q2)))
    ;; What s leaves out of the quotient, against half the spacing to the next double up or down.
    (local.set $e (f64.add (f64.sub (local.get $q1) (local.get $s)) (local.get $q2)))
    (local.set $bits (i64.reinterpret_f64 (local.get $s)))
    (if (f64.ge (local.get $e) (f64.const 0))
      (then (if (f64.ge (local.get $e) (f64.mul (f64.sub (f64.reinterpret_i64 (i64.add (local.get $bits) (i64.const 1))) (local.get $s)) (f64.const 0x1.fffffffffp-2)))
        (then (return (f64.const nan)))))
      (else (if (f64.ge (f64.neg (local.get $e)) (f64.mul (f64.sub (local.get $s) (f64.reinterpret_i64 (i64.sub (local.get $bits) (i64.const 1)))) (f64.const 0x1.fffffffffp-2)))
        (then (return (f64.const nan))))))
    (local.get $s))
  (func (export "row") (result i32) (global.get $row))
  (func (export "parse") (param $p i32) (param $safe i32) (param $row i32) (param $rowEnd i32) (result i32)
    (local $i i32) (local $f i32) (local $c i32) (local $d i32) (local $base i32) (local $fieldStart i32)
    (local $neg i32) (local $intStart i32) (local $nd i32) (local $exp i32) (local $m i64) (local $v f64)
    (local $delim i32) (local $dec i32) (local $ncols i32) (local $kinds i32) (local $slots i32) (local $out i32) (local $width i32) (local $idx i32)
    (local $eneg i32) (local $ev i32) (local $expStart i32)
    (local.set $delim (global.get $delim)) (local.set $dec (global.get $dec)) (local.set $ncols (global.get $ncols))
    (local.set $kinds (global.get $kinds)) (local.set $slots (global.get $slots)) (local.set $out (global.get $out)) (local.set $width (global.get $width))
    (block $done
      (loop $records
        (br_if $done (i32.ge_u (local.get $p) (local.get $safe)))
        (br_if $done (i32.ge_u (local.get $row) (local.get $rowEnd)))
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.eq (local.get $c) (i32.const 10)))
        (br_if $done (i32.eq (local.get $c) (i32.const 13)))
        (local.set $f (i32.const 0))
        (local.set $i (local.get $p))
        (local.set $base (i32.mul (local.get $row) (local.get $width)))
        (loop $fields
          (local.set $c (i32.load8_u (local.get $i)))
          (if (i32.load8_u (i32.add (local.get $kinds) (local.get $f)))
            (then
              (br_if $done (i32.eq (local.get $c) (i32.const 34)))
              (local.set $fieldStart (local.get $i))
              (local.set $neg (i32.const 0))
              (if (i32.eq (local.get $c) (i32.const 45))
                (then (local.set $neg (i32.const 1)) (local.set $i (i32.add (local.get $i) (i32.const 1))) (local.set $c (i32.load8_u (local.get $i))))
                (else (if (i32.eq (local.get $c) (i32.const 43))
                  (then (local.set $i (i32.add (local.get $i) (i32.const 1))) (local.set $c (i32.load8_u (local.get $i)))))))
              (local.set $intStart (local.get $i))
              (local.set $m (i64.const 0))
              (block $e1 (loop $l1
                (local.set $d (i32.sub (local.get $c) (i32.const 48)))
                (br_if $e1 (i32.gt_u (local.get $d) (i32.const 9)))
                (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 10)) (i64.extend_i32_u (local.get $d))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $i)))
                (br $l1)))
              (local.set $nd (i32.sub (local.get $i) (local.get $intStart)))
              (local.set $exp (i32.const 0))
              (if (i32.eq (local.get $c) (local.get $dec))
                (then
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (local.set $exp (local.get $i))
                  (local.set $c (i32.load8_u (local.get $i)))
                  (block $e2 (loop $l2
                    (local.set $d (i32.sub (local.get $c) (i32.const 48)))
                    (br_if $e2 (i32.gt_u (local.get $d) (i32.const 9)))
                    (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 10)) (i64.extend_i32_u (local.get $d))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (local.set $c (i32.load8_u (local.get $i)))
                    (br $l2)))
                  (local.set $exp (i32.sub (local.get $i) (local.get $exp)))
                  (local.set $nd (i32.add (local.get $nd) (local.get $exp)))))
              (block $valued
                ;; An exponent of one to three digits (pandas writes 5e-05 and 1.2345678901234567e-05): exp
                ;; becomes the power of ten to divide by, negative to multiply by. Off the common path.
                (if (i32.eq (i32.or (local.get $c) (i32.const 32)) (i32.const 101))
                  (then
                    (br_if $done (i32.eqz (local.get $nd)))
                    (local.set $eneg (i32.const 0))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (local.set $c (i32.load8_u (local.get $i)))
                    (if (i32.eq (local.get $c) (i32.const 45))
                      (then (local.set $eneg (i32.const 1)) (local.set $i (i32.add (local.get $i) (i32.const 1))) (local.set $c (i32.load8_u (local.get $i))))
                      (else (if (i32.eq (local.get $c) (i32.const 43))
                        (then (local.set $i (i32.add (local.get $i) (i32.const 1))) (local.set $c (i32.load8_u (local.get $i)))))))
                    (local.set $expStart (local.get $i))
                    (local.set $ev (i32.const 0))
                    (block $e3 (loop $l3
                      (local.set $d (i32.sub (local.get $c) (i32.const 48)))
                      (br_if $e3 (i32.gt_u (local.get $d) (i32.const 9)))
                      (local.set $ev (i32.add (i32.mul (local.get $ev) (i32.const 10)) (local.get $d)))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (local.set $c (i32.load8_u (local.get $i)))
                      (br_if $done (i32.gt_u (i32.sub (local.get $i) (local.get $expStart)) (i32.const 3)))
                      (br $l3)))
                    (br_if $done (i32.eq (local.get $i) (local.get $expStart)))
                    (local.set $exp (select (i32.add (local.get $exp) (local.get $ev)) (i32.sub (local.get $exp) (local.get $ev)) (local.get $eneg)))
                    (if (i32.and (i32.le_u (local.get $nd) (i32.const 15)) (i32.le_u (i32.add (local.get $exp) (i32.const 22)) (i32.const 44)))
                      (then
                        ;; At most 15 digits: m is exact, and so is 10^|exp| up to 22: one operation rounds.
                        (local.set $v (f64.convert_i64_s (local.get $m)))
                        (if (i32.gt_s (local.get $exp) (i32.const 0))
                          (then (local.set $v (f64.div (local.get $v) (f64.load (i32.shl (local.get $exp) (i32.const 3))))))
                          (else (if (local.get $exp)
                            (then (local.set $v (f64.mul (local.get $v) (f64.load (i32.shl (i32.sub (i32.const 0) (local.get $exp)) (i32.const 3))))))))))
                      (else
                        (local.set $v (call $longNumber (local.get $m) (local.get $nd) (local.get $exp) (local.get $intStart)))
                        (br_if $done (f64.ne (local.get $v) (local.get $v)))))
                    (if (local.get $neg) (then (local.set $v (f64.neg (local.get $v)))))
                    (br $valued)))
                (if (i32.eqz (local.get $nd))
                  (then
                    (br_if $done (i32.ne (local.get $i) (local.get $fieldStart)))
                    (local.set $v (f64.const nan)))
                  (else
                    (if (i32.gt_u (local.get $nd) (i32.const 15))
                      (then
                        (local.set $v (call $longNumber (local.get $m) (local.get $nd) (local.get $exp) (local.get $intStart)))
                        (br_if $done (f64.ne (local.get $v) (local.get $v))))
                      (else
                        (local.set $v (f64.convert_i64_s (local.get $m)))
                        (if (local.get $exp) (then (local.set $v (f64.div (local.get $v) (f64.load (i32.shl (local.get $exp) (i32.const 3)))))))))
                    (if (local.get $neg) (then (local.set $v (f64.neg (local.get $v))))))))
              (local.set $idx (i32.add (local.get $base) (i32.load (i32.add (local.get $slots) (i32.shl (local.get $f) (i32.const 2))))))
              (if (global.get $f64)
                (then (f64.store (i32.add (local.get $out) (i32.shl (local.get $idx) (i32.const 3))) (local.get $v)))
                (else (f32.store (i32.add (local.get $out) (i32.shl (local.get $idx) (i32.const 2))) (f32.demote_f64 (local.get $v))))))
            (else
              (if (i32.eq (local.get $c) (i32.const 34))
                (then
                  (block $qe (loop $ql
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (local.set $c (i32.load8_u (local.get $i)))
                    (if (i32.eq (local.get $c) (i32.const 34))
                      (then
                        (local.set $i (i32.add (local.get $i) (i32.const 1)))
                        (local.set $c (i32.load8_u (local.get $i)))
                        (br_if $qe (i32.ne (local.get $c) (i32.const 34))))
                      (else (br_if $done (i32.eq (local.get $c) (i32.const 10)))))
                    (br $ql)))))
              (block $se (loop $sl
                (br_if $se (i32.eq (local.get $c) (local.get $delim)))
                (br_if $se (i32.eq (local.get $c) (i32.const 10)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $i)))
                (br $sl)))))
          (if (i32.eq (local.get $c) (local.get $delim))
            (then
              (local.set $f (i32.add (local.get $f) (i32.const 1)))
              (br_if $done (i32.eq (local.get $f) (local.get $ncols)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $fields)))
          (if (i32.eq (local.get $c) (i32.const 13))
            (then
              (br_if $done (i32.ne (i32.load8_u (i32.add (local.get $i) (i32.const 1))) (i32.const 10)))
              (local.set $i (i32.add (local.get $i) (i32.const 1))))
            (else (br_if $done (i32.ne (local.get $c) (i32.const 10)))))
          (br_if $done (i32.ne (local.get $f) (i32.sub (local.get $ncols) (i32.const 1))))
          (local.set $p (i32.add (local.get $i) (i32.const 1)))
          (local.set $row (i32.add (local.get $row) (i32.const 1)))
          (br $records))))
    (global.set $row (local.get $row))
    (local.get $p))
)
