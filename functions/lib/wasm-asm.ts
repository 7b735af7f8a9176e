/** The WebAssembly assembler, shared with the batch layer's kernel (src/shared/wasm-asm.ts). */
export * from '../../src/shared/wasm-asm.js';
