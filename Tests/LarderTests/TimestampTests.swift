import Testing
@testable import Larder
