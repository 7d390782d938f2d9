import { InMemoryEventStore } from './in-memory-event-store.js';
import { eventStoreContract } from './testing/event-store-contract.js';

eventStoreContract('InMemoryEventStore', async () => {
  const store = new InMemoryEventStore();
  return {
    store,
    grantLeadership: async (name) => store.grantLeadership(name),
    revokeLeadership: async (t) => store.revokeLeadership(t.key),
    close: async () => {},
  };
});
