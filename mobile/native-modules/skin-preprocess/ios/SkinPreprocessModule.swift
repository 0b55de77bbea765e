import CoreGraphics
import ExpoModulesCore
import Foundation
import ImageIO

/// preprocessAsync(uri, size): a step-for-step port of src/features/screening/preprocess.ts
/// (applyOrientation -> centerSquare -> resizeBilinear with Pillow's 22-bit fixed-point coefficients).
/// Decoding is ImageIO's (the raw CGImage, not rotated); the EXIF orientation is applied by the port.
public class SkinPreprocessModule: Module {
  public func definition() -> ModuleDefinition {
    Name("SkinPreprocess")

    AsyncFunction("preprocessAsync") { (uri: String, size: Int) throws -> Data in
      guard size > 0 else { throw PreprocessError("size must be a positive integer, got \(size)") }
      guard let url = URL(string: uri), let source = CGImageSourceCreateWithURL(url as CFURL, nil),
            let image = CGImageSourceCreateImageAtIndex(source, 0, nil) else {
        throw PreprocessError("Not an image iOS can decode: \(uri)")
      }
      let props = CGImageSourceCopyPropertiesAtIndex(source, 0, nil) as? [CFString: Any]
      let orientation = (props?[kCGImagePropertyOrientation] as? NSNumber)?.intValue ?? 1
      let rgb = try rgbOnWhite(image)
      let square = centerSquare(applyOrientation(rgb, orientation))
      let out = square.width == size ? square : resizeBilinear(square, size, size)
      return Data(out.data)
    }
  }
}

struct PreprocessError: Error, CustomStringConvertible {
  let description: String
  init(_ message: String) { description = message }
}

struct Rgb {
  let width: Int
  let height: Int
  var data: [UInt8]
}

private let precisionBits = 32 - 8 - 2

/// Draw the decoded image over white into an RGBA8 buffer (the pipeline's to_rgb composites on white), keep RGB.
func rgbOnWhite(_ image: CGImage) throws -> Rgb {
  let w = image.width, h = image.height
  var rgba = [UInt8](repeating: 255, count: w * h * 4)
  let space = image.colorSpace ?? CGColorSpaceCreateDeviceRGB()
  let drawn = rgba.withUnsafeMutableBytes { buffer -> Bool in
    guard let ctx = CGContext(data: buffer.baseAddress, width: w, height: h, bitsPerComponent: 8, bytesPerRow: w * 4,
                              space: space.model == .rgb ? space : CGColorSpaceCreateDeviceRGB(),
                              bitmapInfo: CGImageAlphaInfo.noneSkipLast.rawValue) else { return false }
    ctx.setFillColor(red: 1, green: 1, blue: 1, alpha: 1)
    ctx.fill(CGRect(x: 0, y: 0, width: w, height: h))
    ctx.interpolationQuality = .none
    ctx.draw(image, in: CGRect(x: 0, y: 0, width: w, height: h))
    return true
  }
  guard drawn else { throw PreprocessError("Cannot read the image's pixels") }
  var out = [UInt8](repeating: 0, count: w * h * 3)
  var o = 0
  for i in stride(from: 0, to: rgba.count, by: 4) {
    out[o] = rgba[i]; out[o + 1] = rgba[i + 1]; out[o + 2] = rgba[i + 2]
    o += 3
  }
  return Rgb(width: w, height: h, data: out)
}

/// preprocess.ts applyOrientation: EXIF 1-8 like PIL.ImageOps.exif_transpose.
func applyOrientation(_ src: Rgb, _ orientation: Int) -> Rgb {
  if orientation < 2 || orientation > 8 { return src }
  let transposed = orientation >= 5
  let width = transposed ? src.height : src.width
  let height = transposed ? src.width : src.height
  var out = [UInt8](repeating: 0, count: width * height * 3)
  for y in 0..<height {
    for x in 0..<width {
      let sx: Int, sy: Int
      switch orientation {
      case 2: sx = src.width - 1 - x; sy = y
      case 3: sx = src.width - 1 - x; sy = src.height - 1 - y
      case 4: sx = x; sy = src.height - 1 - y
      case 5: sx = y; sy = x
      case 6: sx = y; sy = src.height - 1 - x
      case 7: sx = src.width - 1 - y; sy = src.height - 1 - x
      default: sx = src.width - 1 - y; sy = x
      }
      let from = (sy * src.width + sx) * 3
      let to = (y * width + x) * 3
      out[to] = src.data[from]; out[to + 1] = src.data[from + 1]; out[to + 2] = src.data[from + 2]
    }
  }
  return Rgb(width: width, height: height, data: out)
}

/// preprocess.ts centerSquare.
func centerSquare(_ src: Rgb) -> Rgb {
  let side = min(src.width, src.height)
  let left = (src.width - side) / 2
  let top = (src.height - side) / 2
  var out = [UInt8](repeating: 0, count: side * side * 3)
  for y in 0..<side {
    let from = ((y + top) * src.width + left) * 3
    out.replaceSubrange((y * side * 3)..<((y + 1) * side * 3), with: src.data[from..<(from + side * 3)])
  }
  return Rgb(width: side, height: side, data: out)
}

private func bilinear(_ x: Double) -> Double {
  let a = abs(x)
  return a < 1 ? 1 - a : 0
}

struct Coefficients {
  let bounds: [Int]
  let kernels: [Int]
  let ksize: Int
}

/// preprocess.ts resampleCoefficients (Pillow precompute_coeffs + normalize_coeffs_8bpc).
func resampleCoefficients(_ inSize: Int, _ outSize: Int) -> Coefficients {
  let scale = Double(inSize) / Double(outSize)
  let filterscale = max(scale, 1)
  let support = 1 * filterscale
  let ksize = Int(support.rounded(.up)) * 2 + 1
  var bounds = [Int](repeating: 0, count: outSize * 2)
  var kernels = [Int](repeating: 0, count: outSize * ksize)
  var pre = [Double](repeating: 0, count: ksize)
  for xx in 0..<outSize {
    let center = (Double(xx) + 0.5) * scale
    let ss = 1 / filterscale
    let xmin = max(Int(center - support + 0.5), 0) // Int(...) truncates toward zero, like C's (int)
    let xmax = min(Int(center + support + 0.5), inSize) - xmin
    var ww = 0.0
    for x in 0..<max(xmax, 0) {
      let w = bilinear((Double(x + xmin) - center + 0.5) * ss)
      pre[x] = w
      ww += w
    }
    for x in 0..<ksize {
      let k = x < xmax && ww != 0 ? pre[x] / ww : 0
      let scaled = k * Double(1 << precisionBits)
      kernels[xx * ksize + x] = k < 0 ? Int(-0.5 + scaled) : Int(0.5 + scaled)
    }
    bounds[xx * 2] = xmin
    bounds[xx * 2 + 1] = xmax
  }
  return Coefficients(bounds: bounds, kernels: kernels, ksize: ksize)
}

private func clip8(_ v: Int) -> UInt8 {
  let shifted = v >> precisionBits // arithmetic shift = floor division, as Math.floor in the TS
  return UInt8(shifted < 0 ? 0 : shifted > 255 ? 255 : shifted)
}

/// preprocess.ts resampleHorizontal.
private func resampleHorizontal(_ src: Rgb, _ outWidth: Int, _ rowFirst: Int, _ rows: Int) -> Rgb {
  let c = resampleCoefficients(src.width, outWidth)
  var out = [UInt8](repeating: 0, count: outWidth * rows * 3)
  let half = 1 << (precisionBits - 1)
  for y in 0..<rows {
    let rowIn = (y + rowFirst) * src.width * 3
    for xx in 0..<outWidth {
      let xmin = c.bounds[xx * 2], xmax = c.bounds[xx * 2 + 1]
      var r = half, g = half, b = half
      for x in 0..<xmax {
        let k = c.kernels[xx * c.ksize + x]
        let p = rowIn + (x + xmin) * 3
        r += Int(src.data[p]) * k
        g += Int(src.data[p + 1]) * k
        b += Int(src.data[p + 2]) * k
      }
      let o = (y * outWidth + xx) * 3
      out[o] = clip8(r); out[o + 1] = clip8(g); out[o + 2] = clip8(b)
    }
  }
  return Rgb(width: outWidth, height: rows, data: out)
}

/// preprocess.ts resampleVertical.
private func resampleVertical(_ src: Rgb, _ outHeight: Int, _ c: Coefficients, _ offset: Int) -> Rgb {
  var out = [UInt8](repeating: 0, count: src.width * outHeight * 3)
  let half = 1 << (precisionBits - 1)
  for yy in 0..<outHeight {
    let ymin = c.bounds[yy * 2] - offset, ymax = c.bounds[yy * 2 + 1]
    for xx in 0..<src.width {
      var r = half, g = half, b = half
      for y in 0..<ymax {
        let k = c.kernels[yy * c.ksize + y]
        let p = ((y + ymin) * src.width + xx) * 3
        r += Int(src.data[p]) * k
        g += Int(src.data[p + 1]) * k
        b += Int(src.data[p + 2]) * k
      }
      let o = (yy * src.width + xx) * 3
      out[o] = clip8(r); out[o + 1] = clip8(g); out[o + 2] = clip8(b)
    }
  }
  return Rgb(width: src.width, height: outHeight, data: out)
}

/// preprocess.ts resizeBilinear: horizontal pass over the rows the vertical pass needs, then vertical.
func resizeBilinear(_ src: Rgb, _ width: Int, _ height: Int) -> Rgb {
  let needH = width != src.width
  let needV = height != src.height
  if !needH && !needV { return src }
  let vert = resampleCoefficients(src.height, height)
  var image = src
  var offset = 0
  if needH {
    var first = 0
    var rows = src.height
    if needV {
      first = vert.bounds[0]
      let lastBound = vert.bounds[(height - 1) * 2] + vert.bounds[(height - 1) * 2 + 1]
      rows = lastBound - first
      offset = first
    }
    image = resampleHorizontal(src, width, first, rows)
  }
  return needV ? resampleVertical(image, height, vert, offset) : image
}
