import { describeStorageContract } from '../contract/patient-repository.contract.js';
import { createInMemoryStorage } from '../support/fakes/index.js';

// The fakes the use-case unit tests run on keep the same contract as the real adapters; otherwise a
// use case could pass its tests against behaviour no database has.
describeStorageContract('in-memory fakes', async () => {
  const storage = createInMemoryStorage();
  return { ...storage, readPatient: async (id) => storage.repository.readPatient(id), outboxAddress: async (id) => storage.outbox.addressOf(id), outboxText: async (id) => storage.outbox.textOf(id), outboxRaw: async (id) => storage.outbox.rawOf(id) };
});
