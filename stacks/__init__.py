"""The Pulumi program that composes Modelyard's components from validated stack config."""
