import { EtcdEventStore } from './etcd-event-store.js';
import { startEtcd } from './testing/etcd-harness.js';
import { eventStoreContract } from './testing/event-store-contract.js';

eventStoreContract('EtcdEventStore (one real etcd member)', async () => {
  const etcd = await startEtcd();
  const store = new EtcdEventStore({ connection: { endpoints: etcd.endpoints }, prefix: '/eni-ipam/contract' });
  return {
    store,
    grantLeadership: async (name) => {
      const key = `/eni-ipam/contract/leader/test/${name}`;
      await store.client.put(key).value('x').exec();
      const res = await store.client.kv.range({ key: Buffer.from(key) });
      return { key, createRevision: Number(res.kvs[0]?.create_revision) };
    },
    revokeLeadership: async (t) => {
      await store.client.delete().key(t.key).exec();
    },
    close: async () => {
      await store.close();
      await etcd.cleanup();
    },
  };
});
