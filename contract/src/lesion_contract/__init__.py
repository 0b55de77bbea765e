"""The model bundle contract shared by model_pipeline, the server and (as generated TypeScript) the app."""
