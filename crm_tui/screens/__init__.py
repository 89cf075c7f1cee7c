"""The app's screens, one per file; modal dialogs in screens/dialogs/."""
