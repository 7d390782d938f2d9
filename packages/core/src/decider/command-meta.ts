import { z } from 'zod';

/** Schema of the fields every command carries (see CommandMeta). */
export const commandMetaShape = {
  /** 1-60 of `[A-Za-z0-9._-]`, so that `${id}:${k}` is a valid 64-character client token. */
  id: z.string().regex(/^[A-Za-z0-9._-]{1,60}$/, 'command id must be 1-60 of [A-Za-z0-9._-]'),
  at: z.iso.datetime({ offset: true }),
  by: z.strictObject({ replica: z.string().min(1).max(200), term: z.number().int().min(0) }),
  cause: z
    .strictObject({
      commandId: z.string().max(200).optional(),
      podUid: z.string().max(200).optional(),
      containerId: z.string().max(200).optional(),
      cloudRequestId: z.string().max(200).optional(),
      eventId: z.string().max(200).optional(),
    })
    .optional(),
};
