"""The pipeline as a SageMaker Pipeline definition: settings, expressions and the compiler the stack program deploys."""
