/** Bad input: the config, the data or the arguments. Nothing was written. CLI exit code 2. */
export class InputError extends Error {}
