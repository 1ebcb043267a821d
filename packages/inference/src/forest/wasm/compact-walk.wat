;; The forest evaluator's walk for the compact layout (compact-forest.ts: addNodeWeights, whose comment
;; explains the layout) in WebAssembly: for each tree, eight rows at a time, steps `i = child[i][!(t >= x)]`
;; (a leaf's children are itself) until a step moves none of the eight, then each row's leaf weight added to its
;; score, tree after tree (ONNX Runtime's order), in double (with several slots, each of the leaf's `slots`
;; weights to the row's score of that slot, as in leaf-weights.wat). The same steps as the JavaScript walk, so
;; the same sums bit for bit; as for the padded walk (leaf-weights.wat), a wasm load needs no map or bounds check.
;;
;; Built into compact-walk-wasm.ts by `node packages/wasm/scripts/build-wasm.mjs` (wabt); a test checks that
;; the committed module is the build of this file.
;;
;; Memory layout (set up by wasm-compact-walk.ts): every argument is a byte offset into memory; x holds `count`
;; rows of `width` float32 values; scores `count` x `slots` doubles (row-major); nodes 16 bytes a node (i32
;; feature, f32 threshold, i32 child when x <= t, i32 child when not; children are node numbers); w (f64)
;; `slots` weights a node; roots (i32) each tree's root node.
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
  (func (export "add_node_weights")
    (param $x i32) (param $width i32) (param $count i32) (param $scores i32)
    (param $nodes i32) (param $w i32) (param $roots i32) (param $trees i32) (param $slots i32)
    (local $sb i32) (local $t i32) (local $root i32) (local $r i32) (local $rb i32) (local $sp i32) (local $moved i32)
    (local $x0 i32) (local $i0 i32) (local $n0 i32) (local $a0 i32) (local $x1 i32) (local $i1 i32) (local $n1 i32) (local $a1 i32)
    (local $x2 i32) (local $i2 i32) (local $n2 i32) (local $a2 i32) (local $x3 i32) (local $i3 i32) (local $n3 i32) (local $a3 i32)
    (local $x4 i32) (local $i4 i32) (local $n4 i32) (local $a4 i32) (local $x5 i32) (local $i5 i32) (local $n5 i32) (local $a5 i32)
    (local $x6 i32) (local $i6 i32) (local $n6 i32) (local $a6 i32) (local $x7 i32) (local $i7 i32) (local $n7 i32) (local $a7 i32)
    ;; $rb: bytes per row of x
    (local.set $rb (i32.shl (local.get $width) (i32.const 2)))
    ;; $sb: bytes of one row's (or one leaf's) weights
    (local.set $sb (i32.shl (local.get $slots) (i32.const 3)))
    (block $trees_done (loop $tree
      (br_if $trees_done (i32.ge_u (local.get $t) (local.get $trees)))
      (local.set $root (i32.load (i32.add (local.get $roots) (i32.shl (local.get $t) (i32.const 2)))))
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
        (local.set $i0 (local.get $root))
        (local.set $i1 (local.get $root))
        (local.set $i2 (local.get $root))
        (local.set $i3 (local.get $root))
        (local.set $i4 (local.get $root))
        (local.set $i5 (local.get $root))
        (local.set $i6 (local.get $root))
        (local.set $i7 (local.get $root))
        ;; steps until none of the eight rows moves (all at their leaves): $aj is node ij's address
        (loop $steps
          (local.set $a0 (i32.add (local.get $nodes) (i32.shl (local.get $i0) (i32.const 4))))
          (local.set $n0 (i32.load offset=8 (i32.add (local.get $a0) (i32.shl
            (i32.eqz (f32.ge (f32.load offset=4 (local.get $a0))
              (f32.load (i32.add (local.get $x0) (i32.shl (i32.load (local.get $a0)) (i32.const 2))))))
            (i32.const 2)))))
          (local.set $a1 (i32.add (local.get $nodes) (i32.shl (local.get $i1) (i32.const 4))))
          (local.set $n1 (i32.load offset=8 (i32.add (local.get $a1) (i32.shl
            (i32.eqz (f32.ge (f32.load offset=4 (local.get $a1))
              (f32.load (i32.add (local.get $x1) (i32.shl (i32.load (local.get $a1)) (i32.const 2))))))
            (i32.const 2)))))
          (local.set $a2 (i32.add (local.get $nodes) (i32.shl (local.get $i2) (i32.const 4))))
          (local.set $n2 (i32.load offset=8 (i32.add (local.get $a2) (i32.shl
            (i32.eqz (f32.ge (f32.load offset=4 (local.get $a2))
              (f32.load (i32.add (local.get $x2) (i32.shl (i32.load (local.get $a2)) (i32.const 2))))))
            (i32.const 2)))))
          (local.set $a3 (i32.add (local.get $nodes) (i32.shl (local.get $i3) (i32.const 4))))
          (local.set $n3 (i32.load offset=8 (i32.add (local.get $a3) (i32.shl
            (i32.eqz (f32.ge (f32.load offset=4 (local.get $a3))
              (f32.load (i32.add (local.get $x3) (i32.shl (i32.load (local.get $a3)) (i32.const 2))))))
            (i32.const 2)))))
          (local.set $a4 (i32.add (local.get $nodes) (i32.shl (local.get $i4) (i32.const 4))))
          (local.set $n4 (i32.load offset=8 (i32.add (local.get $a4) (i32.shl
            (i32.eqz (f32.ge (f32.load offset=4 (local.get $a4))
              (f32.load (i32.add (local.get $x4) (i32.shl (i32.load (local.get $a4)) (i32.const 2))))))
            (i32.const 2)))))
          (local.set $a5 (i32.add (local.get $nodes) (i32.shl (local.get $i5) (i32.const 4))))
          (local.set $n5 (i32.load offset=8 (i32.add (local.get $a5) (i32.shl
            (i32.eqz (f32.ge (f32.load offset=4 (local.get $a5))
              (f32.load (i32.add (local.get $x5) (i32.shl (i32.load (local.get $a5)) (i32.const 2))))))
            (i32.const 2)))))
          (local.set $a6 (i32.add (local.get $nodes) (i32.shl (local.get $i6) (i32.const 4))))
          (local.set $n6 (i32.load offset=8 (i32.add (local.get $a6) (i32.shl
            (i32.eqz (f32.ge (f32.load offset=4 (local.get $a6))
              (f32.load (i32.add (local.get $x6) (i32.shl (i32.load (local.get $a6)) (i32.const 2))))))
            (i32.const 2)))))
          (local.set $a7 (i32.add (local.get $nodes) (i32.shl (local.get $i7) (i32.const 4))))
          (local.set $n7 (i32.load offset=8 (i32.add (local.get $a7) (i32.shl
            (i32.eqz (f32.ge (f32.load offset=4 (local.get $a7))
              (f32.load (i32.add (local.get $x7) (i32.shl (i32.load (local.get $a7)) (i32.const 2))))))
            (i32.const 2)))))
          (local.set $moved (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or (i32.xor (local.get $n0) (local.get $i0)) (i32.xor (local.get $n1) (local.get $i1))) (i32.xor (local.get $n2) (local.get $i2))) (i32.xor (local.get $n3) (local.get $i3))) (i32.xor (local.get $n4) (local.get $i4))) (i32.xor (local.get $n5) (local.get $i5))) (i32.xor (local.get $n6) (local.get $i6))) (i32.xor (local.get $n7) (local.get $i7))))
          (local.set $i0 (local.get $n0))
          (local.set $i1 (local.get $n1))
          (local.set $i2 (local.get $n2))
          (local.set $i3 (local.get $n3))
          (local.set $i4 (local.get $n4))
          (local.set $i5 (local.get $n5))
          (local.set $i6 (local.get $n6))
          (local.set $i7 (local.get $n7))
          (br_if $steps (local.get $moved)))
        (local.set $sp (i32.add (local.get $scores) (i32.mul (local.get $r) (local.get $sb))))
        (if (i32.eq (local.get $slots) (i32.const 1))
          (then
          (f64.store offset=0 (local.get $sp) (f64.add (f64.load offset=0 (local.get $sp)) (f64.load (i32.add (local.get $w) (i32.shl (local.get $i0) (i32.const 3))))))
          (f64.store offset=8 (local.get $sp) (f64.add (f64.load offset=8 (local.get $sp)) (f64.load (i32.add (local.get $w) (i32.shl (local.get $i1) (i32.const 3))))))
          (f64.store offset=16 (local.get $sp) (f64.add (f64.load offset=16 (local.get $sp)) (f64.load (i32.add (local.get $w) (i32.shl (local.get $i2) (i32.const 3))))))
          (f64.store offset=24 (local.get $sp) (f64.add (f64.load offset=24 (local.get $sp)) (f64.load (i32.add (local.get $w) (i32.shl (local.get $i3) (i32.const 3))))))
          (f64.store offset=32 (local.get $sp) (f64.add (f64.load offset=32 (local.get $sp)) (f64.load (i32.add (local.get $w) (i32.shl (local.get $i4) (i32.const 3))))))
          (f64.store offset=40 (local.get $sp) (f64.add (f64.load offset=40 (local.get $sp)) (f64.load (i32.add (local.get $w) (i32.shl (local.get $i5) (i32.const 3))))))
          (f64.store offset=48 (local.get $sp) (f64.add (f64.load offset=48 (local.get $sp)) (f64.load (i32.add (local.get $w) (i32.shl (local.get $i6) (i32.const 3))))))
          (f64.store offset=56 (local.get $sp) (f64.add (f64.load offset=56 (local.get $sp)) (f64.load (i32.add (local.get $w) (i32.shl (local.get $i7) (i32.const 3)))))))
          (else
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 0) (local.get $sb))) (i32.add (local.get $w) (i32.mul (local.get $i0) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 1) (local.get $sb))) (i32.add (local.get $w) (i32.mul (local.get $i1) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 2) (local.get $sb))) (i32.add (local.get $w) (i32.mul (local.get $i2) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 3) (local.get $sb))) (i32.add (local.get $w) (i32.mul (local.get $i3) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 4) (local.get $sb))) (i32.add (local.get $w) (i32.mul (local.get $i4) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 5) (local.get $sb))) (i32.add (local.get $w) (i32.mul (local.get $i5) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 6) (local.get $sb))) (i32.add (local.get $w) (i32.mul (local.get $i6) (local.get $sb))) (local.get $slots))
          (call $add_slots (i32.add (local.get $sp) (i32.mul (i32.const 7) (local.get $sb))) (i32.add (local.get $w) (i32.mul (local.get $i7) (local.get $sb))) (local.get $slots))))
        (local.set $r (i32.add (local.get $r) (i32.const 8)))
        (br $rows)))
      ;; the last count % 8 rows, one at a time
      (block $tail_done (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $r) (local.get $count)))
        (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $rb))))
        (local.set $i0 (local.get $root))
        (loop $tail_steps
          (local.set $a0 (i32.add (local.get $nodes) (i32.shl (local.get $i0) (i32.const 4))))
          (local.set $n0 (i32.load offset=8 (i32.add (local.get $a0) (i32.shl
            (i32.eqz (f32.ge (f32.load offset=4 (local.get $a0))
              (f32.load (i32.add (local.get $x0) (i32.shl (i32.load (local.get $a0)) (i32.const 2))))))
            (i32.const 2)))))
          (local.set $moved (i32.ne (local.get $n0) (local.get $i0)))
          (local.set $i0 (local.get $n0))
          (br_if $tail_steps (local.get $moved)))
        (local.set $sp (i32.add (local.get $scores) (i32.mul (local.get $r) (local.get $sb))))
        (call $add_slots (local.get $sp) (i32.add (local.get $w) (i32.mul (local.get $i0) (local.get $sb))) (local.get $slots))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $tail)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tree)))))
