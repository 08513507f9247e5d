// Types for the parts of hpack.js (which ships none) that lib/wire/hpack.ts uses.
declare module 'hpack.js' {
  interface HeaderField {
    name: string;
    value: string;
    neverIndex: boolean;
  }
  interface Decompressor {
    write(block: Uint8Array): boolean;
    /** Decodes what was written; a failure is emitted as 'error' (synchronously, without a callback). */
    execute(): void;
    /** The next decoded field, or null when none is left. */
    read(): HeaderField | null;
    /** A Dynamic Table Size Update's effect; throws above the table's protocol maximum. */
    updateTableSize(size: number): void;
    on(event: 'error', listener: (error: Error) => void): this;
  }
  const hpack: {
    decompressor: { create(options: { table: { maxSize: number } }): Decompressor };
  };
  export default hpack;
}
