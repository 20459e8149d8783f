/**
 * The config's types, derived from the schema (schemas/gan.schema.json, as the constant in
 * ganSchema.ts) by json-schema-to-ts: nothing here restates a field, a type or an enum. Ajv fills
 * the schema's defaults (validateConfig.ts), which is why a defaulted field is required below.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { ganSchema } from './ganSchema';

/** gan.json as a person writes it: what the schema accepts. */
export type GanJson = FromSchema<typeof ganSchema, { parseIfThenElseKeywords: true; keepDefaultedPropertiesOptional: true }>;

/** gan.json with every schema default filled in, before "auto" is decided. */
export type GanJsonWithDefaults = FromSchema<typeof ganSchema, { parseIfThenElseKeywords: true }>;
type Defaulted = GanJsonWithDefaults;
type DefaultedGenerator = Defaulted['generator'];
type DefaultedDiscriminator = Defaulted['discriminator'];

/** The choices that "auto" stands for until the config is resolved. */
type Decided<T> = Exclude<T, 'auto'>;

export interface GeneratorConfig extends Omit<DefaultedGenerator, 'preset' | 'outputActivation'> {
  preset: Decided<DefaultedGenerator['preset']>;
  outputActivation: Decided<DefaultedGenerator['outputActivation']>;
}

export interface DiscriminatorConfig extends Omit<DefaultedDiscriminator, 'preset' | 'outputActivation'> {
  preset: Decided<DefaultedDiscriminator['preset']>;
  outputActivation: Decided<DefaultedDiscriminator['outputActivation']>;
}

/**
 * The resolved config, as a run stores it (config.json): every default filled in and every
 * "auto" of the networks decided. `training.workers` may stay "auto" until a run starts
 * (trainer/replicas.ts), and the run's config.json then keeps the number.
 */
export interface GanConfig extends Omit<Defaulted, '$schema' | 'generator' | 'discriminator' | 'sweep'> {
  generator: GeneratorConfig;
  discriminator: DiscriminatorConfig;
}

export type DataConfig = GanConfig['data'];
/** A gan.json's sweep block, with its defaults. A run's config never holds one. */
export type SweepConfig = NonNullable<Defaulted['sweep']>;
export type SweepParameter = SweepConfig['parameters'][string];
export type LossType = GanConfig['loss']['type'];
export type BackendChoice = GanConfig['backend'];
export type OptimizerConfig = GanConfig['training']['generatorOptimizer'];
export type Activation = GeneratorConfig['activation'];
export type ToyData = Extract<DataConfig, { scale: number }>;
export type ToyDataType = ToyData['type'];
export type ImageData = Extract<DataConfig, { type: 'mnist' | 'imageFolder' }>;

/** The 2-D toy shapes, read from the schema's data variants. */
export const TOY_DATA_TYPES: readonly ToyDataType[] = ganSchema.definitions.data.allOf[0].if.properties.type.enum;

export function isImageData(data: DataConfig): data is ImageData {
  return data.type === 'mnist' || data.type === 'imageFolder';
}

export function isToyData(data: DataConfig): data is ToyData {
  return (TOY_DATA_TYPES as readonly string[]).includes(data.type);
}

/** Losses whose D output is a probability (sigmoid) rather than an unbounded score. */
export function lossUsesProbability(loss: LossType): boolean {
  return loss === 'non-saturating' || loss === 'minimax';
}
