"""The pages of the app, one module each: widgets -> settings -> cached calls -> charts."""
