/**
 * Copies of the keyed maps inside stream states (allocations by container id, ENIs, intents,
 * addresses, nodes by name), as null-prototype objects.
 *
 * Written by hand because no library fits. The states must stay plain JSON values: snapshots,
 * the wire and tests all read them as such. A persistent-map library would change every reader.
 *
 * The reason for null prototypes: V8 keeps a plain object made by spreading in "fast mode", with
 * one hidden class for each distinct sequence of keys. Our keys are ids that never repeat, so
 * every copy made a new hidden class, and every copy got slower as the cluster grew. Replaying
 * 1,000 nodes cost 8 times more per event than replaying 200. Null-prototype objects are
 * dictionaries from the start, and they serialise to the same JSON.
 */
export type Keyed<T> = Record<string, T>;

/** A copy of `r` (a dictionary: see above). */
export const copyKeyed = <T>(r: Readonly<Keyed<T>>): Keyed<T> => Object.assign(Object.create(null) as Keyed<T>, r);

/** A copy of `r` with `key` set to `value`. */
export const withKey = <T>(r: Readonly<Keyed<T>>, key: string, value: T): Keyed<T> => {
  const o = copyKeyed(r);
  o[key] = value;
  return o;
};

/** A copy of `r` without `key`; `r` itself when it has no such key (states are values: sharing is safe). */
export const withoutKey = <T>(r: Readonly<Keyed<T>>, key: string): Readonly<Keyed<T>> => {
  if (!Object.hasOwn(r, key)) return r;
  const o = copyKeyed(r);
  delete o[key];
  return o;
};
