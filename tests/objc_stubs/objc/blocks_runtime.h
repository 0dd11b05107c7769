/*
 * The blocks runtime header GNUstep's headers include when the compiler has blocks (clang
 * -fblocks) and the runtime is libobjc2. Debian's GNUstep uses gcc's runtime, which has no
 * blocks; the syntax check of the URLSession delegate (tests/objc_wrapper.rs) only needs the
 * two declarations, as libobjc2's objc/blocks_runtime.h has them.
 */
#ifndef CERTPIN_TEST_STUB_BLOCKS_RUNTIME_H
#define CERTPIN_TEST_STUB_BLOCKS_RUNTIME_H
void *_Block_copy(const void *block);
void _Block_release(const void *block);
#endif
