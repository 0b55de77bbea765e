// Metro: Expo's defaults plus the asset types the screening engine ships.
const { getDefaultConfig } = require('expo/metro-config');

const config = getDefaultConfig(__dirname);
// wasm: expo-sqlite's web build; tflite: the bootstrap model bundled with the phone app.
config.resolver.assetExts.push('wasm', 'tflite');

module.exports = config;
