"""SavedModel directory layout and collection keys (``tf.saved_model.constants``)."""

ASSETS_DIRECTORY = "assets"
EXTRA_ASSETS_DIRECTORY = "assets.extra"
ASSETS_KEY = "saved_model_assets"
LEGACY_INIT_OP_KEY = "legacy_init_op"
MAIN_OP_KEY = "saved_model_main_op"
TRAIN_OP_KEY = "saved_model_train_op"
SAVED_MODEL_SCHEMA_VERSION = 1
SAVED_MODEL_FILENAME_PB = "saved_model.pb"
SAVED_MODEL_FILENAME_PBTXT = "saved_model.pbtxt"
VARIABLES_DIRECTORY = "variables"
VARIABLES_FILENAME = "variables"
FINGERPRINT_FILENAME = "fingerprint.pb"
# TF1 SavedModels pack AssetFileDefs into an Any under TensorFlow's own type name.
ASSET_FILE_DEF_TYPE_URL = "type.googleapis.com/tensorflow.AssetFileDef"
# TF2 SavedModels name their init op through this pseudo-signature.
INIT_OP_SIGNATURE_KEY = "__saved_model_init_op"
