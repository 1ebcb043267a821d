;; The forest evaluator's walk (padded-forest.ts: addLeafWeights, whose comment explains the layout) in
;; WebAssembly: for each tree, eight rows at a time, D branchless steps `i = 2i + 1 + !(t >= x)` down the
;; padded tree, then each row's leaf weight added to its score, tree after tree (ONNX Runtime's order), in
;; double. With several slots (outputs sharing the trees' structure: an imported classifier's per-class copies
;; of each tree), each of the leaf's `slots` weights is added to the row's score of that slot, so every slot's
;; sum takes the same additions in the same order as a one-slot walk of its weights. The same walk as the
;; JavaScript one, step for step, so the sums are the same bit for bit; it runs at a speed that does not depend
;; on what V8 happened to see first (2.5x the JavaScript loop on the bench's forest), because a wasm load needs
;; no map or bounds check (memory is guarded by the engine).
;;
;; The eight row blocks below are one step written out eight times: the eight chains of loads are
;; independent, so the processor overlaps them (four rows: 25 % slower; twelve or sixteen: 7-10 % slower).
;;
;; Built into leaf-weights-wasm.ts by `node packages/wasm/scripts/build-wasm.mjs` (wabt); a test checks that
;; the committed module is the build of this file.
;;
;; Memory layout (set up by wasm-leaf-weights.ts): every argument is a byte offset into memory; x holds
;; `count` rows of `width` float32 values; scores `count` x `slots` doubles (row-major); f (i32) and v (f32)
;; the padded nodes; w (f64) the padded leaves' weights, `slots` a leaf; depth, nodeStart and leafStart (i32)
;; one per tree.
(module
  (memory (export "memory") 1)
  ;; A reached leaf's `slots` weights (from $wp) added to a row's `slots` scores (from $sp), slot after slot: the
  ;; walks' accumulation when several outputs share one tree structure (one slot takes the written-out stores).
  (func $add_slots (param $sp i32) (param $wp i32) (param $slots i32)
    (loop $slot
      (f64.store (local.get $sp) (f64.add (f64.load (local.get $sp)) (f64.load (local.get $wp))))
      (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
      (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
      (br_if $slot (local.tee $slots (i32.sub (local.get $slots) (i32.const 1))))))
  (func (export "add_leaf_weights")
    (param $x i32) (param $width i32) (param $count i32) (param $scores i32)
    (param $f i32) (param $v i32) (param $w i32)
    (param $depth i32) (param $nodeStart i32) (param $leafStart i32) (param $trees i32) (param $slots i32)
    (local $sb i32) (local $t i32) (local $d i32) (local $n i32) (local $fb i32) (local $vb i32) (local $wb i32)
    (local $r i32) (local $s i32) (local $rb i32) (local $sp i32)
    (local $x0 i32) (local $i0 i32) (local $x1 i32) (local $i1 i32) (local $x2 i32) (local $i2 i32) (local $x3 i32) (local $i3 i32)
    (local $x4 i32) (local $i4 i32) (local $x5 i32) (local $i5 i32) (local $x6 i32) (local $i6 i32) (local $x7 i32) (local $i7 i32)
    ;; $rb: bytes per row of x
    (local.set $rb (i32.shl (local.get $width) (i32.const 2)))
    ;; $sb: bytes of one row's (or one leaf's) weights
    (local.set $sb (i32.shl (local.get $slots) (i32.const 3)))
    (block $trees_done (loop $tree
      (br_if $trees_done (i32.ge_u (local.get $t) (local.get $trees)))
      (local.set $d (i32.load (i32.add (local.get $depth) (i32.shl (local.get $t) (i32.const 2)))))
      (local.set $n (i32.load (i32.add (local.get $nodeStart) (i32.shl (local.get $t) (i32.const 2)))))
      ;; $fb, $vb: the tree's nodes (feature, threshold); $wb: its padded leaves' weights
      (local.set $fb (i32.add (local.get $f) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $vb (i32.add (local.get $v) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $wb (i32.add (local.get $w) (i32.mul
        (i32.sub (i32.load (i32.add (local.get $leafStart) (i32.shl (local.get $t) (i32.const 2))))
                 (i32.sub (i32.shl (i32.const 1) (local.get $d)) (i32.const 1)))
        (local.get $sb))))
      ;; eight rows at a time; $x0..$x7 where their values start, $i0..$i7 the node each has reached
      (local.set $r (i32.const 0))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.gt_u (i32.add (local.get $r) (i32.const 8)) (local.get $count)))
        (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $rb))))
        (local.set $x1 (i32.add (local.get $x0) (local.get $rb)))
        (local.set $x2 (i32.add (local.get $x1) (local.get $rb)))
        (local.set $x3 (i32.add (local.get $x2) (local.get $rb)))
        (local.set $x4 (i32.add (local.get $x3) (local.get $rb)))
        (local.set $x5 (i32.add (local.get $x4) (local.get $rb)))
        (local.set $x6 (i32.add (local.get $x5) (local.get $rb)))
        (local.set $x7 (i32.add (local.get $x6) (local.get $rb)))
        (local.set $i0 (i32.const 0))
        (local.set $i1 (i32.const 0))
        (local.set $i2 (i32.const 0))
        (local.set $i3 (i32.const 0))
        (local.set $i4 (i32.const 0))
        (local.set $i5 (i32.const 0))
        (local.set $i6 (i32.const 0))
        (local.set $i7 (i32.const 0))
        ;; depth steps: i = 2i + 1 when t >= x, 2i + 2 when not (NaN included)
        (local.set $s (local.get $d))
        (block $steps_done (loop $steps
          (br_if $steps_done (i32.eqz (local.get $s)))
          (local.set $i0 (i32.add (i32.add (i32.shl (local.get $i0) (i32.const 1)) (i32.const 1))
            (i32.eqz (f32.ge (f32.load (i32.add (local.get $vb) (i32.shl (local.get $i0) (i32.const 2))))
              (f32.load (i32.add (local.get $x0) (i32.shl (i32.load (i32.add (local.get $fb) (i32.shl (local.get $i0) (i32.const 2)))) (i32.const 2))))))))
          (local.set $i1 (i32.add (i32.add (i32.shl (local.get $i1) (i32.const 1)) (i32.const 1))
            (i32.eqz (f32.ge (f32.load (i32.add (local.get $vb) (i32.shl (local.get $i1) (i32.const 2))))
              (f32.load (i32.add (local.get $x1) (i32.shl (i32.load (i32.add (local.get $fb) (i32.shl (local.get $i1) (i32.const 2)))) (i32.const 2))))))))
          (local.set $i2 (i32.add (i32.add (i32.shl (local.get $i2) (i32.const 1)) (i32.const 1))
            (i32.eqz (f32.ge (f32.load (i32.add (local.get $vb) (i32.shl (local.get $i2) (i32.const 2))))
              (f32.load (i32.add (local.get $x2) (i32.shl (i32.load (i32.add (local.get $fb) (i32.shl (local.get $i2) (i32.const 2)))) (i32.const 2))))))))
          (local.set $i3 (i32.add (i32.add (i32.shl (local.get $i3) (i32.const 1)) (i32.const 1))
            (i32.eqz (f32.ge (f32.load (i32.add (local.get $vb) (i32.shl (local.get $i3) (i32.const 2))))
              (f32.load (i32.add (local.get $x3) (i32.shl (i32.load (i32.add (local.get $fb) (i32.shl (local.get $i3) (i32.const 2)))) (i32.const 2))))))))
          (local.set $i4 (i32.add (i32.add (i32.shl (local.get $i4) (i32.const 1)) (i32.const 1))
            (i32.eqz (f32.ge (f32.load (i32.add (local.get $vb) (i32.shl (local.get $i4) (i32.const 2))))
              (f32.load (i32.add (local.get $x4) (i32.shl (i32.load (i32.add (local.get $fb) (i32.shl (local.get $i4) (i32.const 2)))) (i32.const 2))))))))
          (local.set $i5 (i32.add (i32.add (i32.shl (local.get $i5) (i32.const 1)) (i32.const 1))
            (i32.eqz (f32.ge (f32.load (i32.add (local.get $vb) (i32.shl (local.get $i5) (i32.const 2))))
              (f32.load (i32.add (local.get $x5) (i32.shl (i32.load (i32.add (local.get $fb) (i32.shl (local.get $i5) (i32.const 2)))) (i32.const 2))))))))
          (local.set $i6 (i32.add (i32.add (i32.shl (local.get $i6) (i32.const 1)) (i32.const 1))
            (i32.eqz (f32.ge (f32.load (i32.add (local.get $vb) (i32.shl (local.get $i6) (i32.const 2))))
              (f32.load (i32.add (local.get $x6) (i32.shl (i32.load (i32.add (local.get $fb) (i32.shl (local.get $i6) (i32.const 2)))) (i32.const 2))))))))
          (local.set $i7 (i32.add (i32.add (i32.shl (local.get $i7) (i32.const 1)) (i32.const 1))
            (i32.eqz (f32.ge (f32.load (i32.add (local.get $vb) (i32.shl (local.get $i7) (i32.const 2))))
              (f32.load (i32.add (local.get $x7) (i32.shl (i32.load (i32.add (local.get $fb) (i32.shl (local.get $i7) (i32.const 2)))) (i32.const 2))))))))
          (local.set $s (i32.sub (local.get $s) (i32.const 1)))
          (br $steps)))
        (local.set $sp (i32.add (local.get $scores) (i32.mul (local.get $r) (local.get $sb))))
        (if (i32.eq (local.get $slots) (i32.const 1))
          (then
          (f64.store offset=0 (local.get $sp) (f64.add (f64.load offset=0 (local.get $sp)) (f64.load (i32.add (local.get $wb) (i32.shl (local.get $i0) (i32.const 3))))))
          (f64.store offset=8 (local.get $sp) (f64.add (f64.load offset=8 (local.get $sp)) (f64.load (i32.add (local.get $wb) (i32.shl (local.get $i1) (i32.const 3))))))
          (f64.store offset=16 (local.get $sp) (f64.add (f64.load offset=16 (local.get $sp)) (f64.load (i32.add (local.get $wb) (i32.shl (local.get $i2) (i32.const 3))))))
          (f64.store offset=24 (local.get $sp) (f64.add (f64.load offset=24 (local.get $sp)) (f64.load (i32.add (local.get $wb) (i32.shl (local.get $i3) (i32.const 3))))))
          (f64.store offset=32 (local.get $sp) (f64.add (f64.load offset=32 (local.get $sp)) (f64.load (i32.add (local.get $wb) (i32.shl (local.get $i4) (i32.const 3))))))
          (f64.store offset=40 (local.get $sp) (f64.add (f64.load offset=40 (local.get $sp)) (f64.load (i32.add (local.get $wb) (i32.shl (local.get $i5) (i32.const 3))))))
          (f64.store offset=48 (local.get $sp) (f64.add (f64.load offset=48 (local.get $sp)) (f64.load (i32.add (local.get $wb) (i32.shl (local.get $i6) (i32.const 3))))))
          (f64.store offset=56 (local.get $sp) (f64.add (f64.load offset=56 (local.get $sp)) (f64.load (i32.add (local.get $wb) (i32.shl (local.get $i7) (i32.const 3)))))))
          (else
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 0) (local.get $sb))) (i32.add (local.get $wb) (i32.mul (local.get $i0) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 1) (local.get $sb))) (i32.add (local.get $wb) (i32.mul (local.get $i1) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 2) (local.get $sb))) (i32.add (local.get $wb) (i32.mul (local.get $i2) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 3) (local.get $sb))) (i32.add (local.get $wb) (i32.mul (local.get $i3) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 4) (local.get $sb))) (i32.add (local.get $wb) (i32.mul (local.get $i4) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 5) (local.get $sb))) (i32.add (local.get $wb) (i32.mul (local.get $i5) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 6) (local.get $sb))) (i32.add (local.get $wb) (i32.mul (local.get $i6) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 7) (local.get $sb))) (i32.add (local.get $wb) (i32.mul (local.get $i7) (local.get $sb))) (local.get $slots))))
        (local.set $r (i32.add (local.get $r) (i32.const 8)))
        (br $rows)))
      ;; the last count % 8 rows, one at a time
      (block $tail_done (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $r) (local.get $count)))
        (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $rb))))
        (local.set $i0 (i32.const 0))
        (local.set $s (local.get $d))
        (block $tail_steps_done (loop $tail_steps
          (br_if $tail_steps_done (i32.eqz (local.get $s)))
          (local.set $i0 (i32.add (i32.add (i32.shl (local.get $i0) (i32.const 1)) (i32.const 1))
            (i32.eqz (f32.ge (f32.load (i32.add (local.get $vb) (i32.shl (local.get $i0) (i32.const 2))))
              (f32.load (i32.add (local.get $x0) (i32.shl (i32.load (i32.add (local.get $fb) (i32.shl (local.get $i0) (i32.const 2)))) (i32.const 2))))))))
          (local.set $s (i32.sub (local.get $s) (i32.const 1)))
          (br $tail_steps)))
        (local.set $sp (i32.add (local.get $scores) (i32.mul (local.get $r) (local.get $sb))))
        (call $add_slots (local.get $sp) (i32.add (local.get $wb) (i32.mul (local.get $i0) (local.get $sb))) (local.get $slots))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $tail)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tree)))))
