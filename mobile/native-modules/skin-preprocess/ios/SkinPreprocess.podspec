Pod::Spec.new do |s|
  s.name           = 'SkinPreprocess'
  s.version        = '1.0.0'
  s.summary        = 'Photo -> uint8 RGB tensor per the skin-lesion model bundle preprocessing spec'
  s.description    = 'Decode, EXIF orientation, centre square, Pillow-exact bilinear antialiased resize (port of preprocess.ts).'
  s.author         = 'Skin-lesion screening platform'
  s.homepage       = 'https://example.org/skinscreen'
  s.license        = { :type => 'Proprietary' }
  s.platforms      = { :ios => '15.1' }
  s.source         = { git: '' }
  s.static_framework = true
  s.swift_version  = '5.9'

  s.dependency 'ExpoModulesCore'

  s.pod_target_xcconfig = { 'DEFINES_MODULE' => 'YES' }
  s.source_files = '**/*.{h,m,swift}'
end
