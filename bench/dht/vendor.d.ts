/**
 * The little of hyperdht that bench/dht.ts uses (the package has no declarations of its own),
 * as its README and testnet.js describe it.
 */
declare module 'hyperdht/testnet' {
  namespace createTestnet {
    interface Node {
      immutablePut(value: Uint8Array): Promise<{ readonly hash: Uint8Array }>;
      immutableGet(hash: Uint8Array): Promise<{ readonly value: Uint8Array } | null>;
      /** dht-rpc's I/O: the node's two udx-native sockets, once bound. */
      readonly io: { readonly serverSocket: object | null; readonly clientSocket: object | null };
    }
    interface Testnet {
      readonly nodes: Node[];
      /** Destroys every node, last first. */
      destroy(): Promise<void>;
    }
  }
  /** `size` nodes on 127.0.0.1, each started once the one before it is fully bootstrapped. */
  function createTestnet(size: number): Promise<createTestnet.Testnet>;
  export = createTestnet;
}
